"""Write the stand-in SMPL-X-format body model: python -m fhmr_ros.tools.make_standin [--out F]."""

from __future__ import annotations

import argparse

from fhmr_ros.body.standin_model import default_standin_path, write_standin_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(default_standin_path()),
                        help="output .npz (default: %(default)s)")
    path = write_standin_model(parser.parse_args(argv).out)
    print(f"wrote stand-in body model {path}")


if __name__ == "__main__":
    main()
