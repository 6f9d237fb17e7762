"""fhmr-bag: the node run offline over a recording of real footage adds its outputs."""

import collections

from fhmr_ros.data.footage import footage_path
from fhmr_ros.ros.mcap_io import read_messages
from fhmr_ros.ros.odometry import stamp_to_sec
from fhmr_ros.ros.video_stream import write_video_bag
from fhmr_ros.tools import bag

FRAMES = 12


def test_bag_gets_a_human_state_array_per_image(tmp_path):
    source = tmp_path / "in.mcap"
    write_video_bag(footage_path("vtest.avi"), source, FRAMES, start_frame=45,
                    start_time=50.0, compressed=True)
    out = tmp_path / "out.mcap"
    assert bag.main([str(source), "--out", str(out), "--compressed",
                          "-p", "stride:=4", "-p", "lag:=4"]) == 0
    messages = list(read_messages(out))
    count = collections.Counter(m.topic for m in messages)
    assert count["/camera/image/compressed"] == FRAMES and count["/odom"] >= FRAMES
    humans = [m.msg for m in messages if m.topic == "/fhmr_node/humans"]
    image_stamps = sorted(round(stamp_to_sec(m.msg.header.stamp), 6) for m in messages
                          if m.topic == "/camera/image/compressed")
    assert sorted(round(stamp_to_sec(h.header.stamp), 6) for h in humans) == image_stamps
    people = [len(h.humans) for h in humans]
    assert sum(people) >= 3 * FRAMES                 # five pedestrians walk here
    ids = collections.Counter(p.track_id for h in humans for p in h.humans)
    assert sum(1 for n in ids.values() if n >= FRAMES - 4) >= 3   # tracked through the clip
    assert count["/tf"] and count["/fhmr_node/markers"] and count["/fhmr_node/debug_image"]
    # outputs are logged at their image's stamp (the recording's time), never wall time
    outputs = [m for m in messages if m.topic.startswith("/fhmr_node/")]
    assert {round(m.log_time_ns / 1e9, 6) for m in outputs} <= set(image_stamps)


def test_missing_topic_is_a_clear_error(tmp_path, capsys):
    source = tmp_path / "in.mcap"
    write_video_bag(footage_path("vtest.avi"), source, 2, start_time=1.0)
    assert bag.main([str(source), "--out", str(tmp_path / "o.mcap"),
                          "--image-topic", "/nope"]) == 2
    assert "no topic /nope" in capsys.readouterr().err


def test_writing_over_the_input_is_refused(tmp_path, capsys):
    source = tmp_path / "in.mcap"
    write_video_bag(footage_path("vtest.avi"), source, 2, start_time=1.0)
    size = source.stat().st_size
    assert bag.main([str(source), "--out", str(tmp_path / "." / "in.mcap")]) == 2
    assert "is the input" in capsys.readouterr().err and source.stat().st_size == size
