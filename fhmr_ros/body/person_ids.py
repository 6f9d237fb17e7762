"""The names a tracked person goes by, everywhere (node, recordings, exports).

REP-155 (ROS4HRI) names a body's TF frame ``body_<bodyID>`` and its topics
``/humans/bodies/<bodyID>/...``; a ROS 2 topic name token must not start with a digit, so
the body id is the track id behind a letter: track 2779070001 is body ``b2779070001``, TF
frame and HumanState id ``body_b2779070001``, export files ``body_b2779070001.*``.
"""

BODY_ID_PREFIX = "b"
PERSON_FRAME_PREFIX = "body_"


def body_id(track_id: int) -> str:
    """The REP-155 body id of a track: ``b<track_id>``."""
    return f"{BODY_ID_PREFIX}{int(track_id)}"


def person_frame(track_id: int) -> str:
    """The TF frame (and HumanState id, and export name) of a track: ``body_b<track_id>``."""
    return f"{PERSON_FRAME_PREFIX}{body_id(track_id)}"
