"""The README and docs/ as a newcomer uses them: every relative link (and #anchor) leads
somewhere, every command the README names answers --help, the quick start's launch
arguments exist, and the README's layout matches the tree."""

import ast
import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "models" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text()


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", page.read_text(), re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_somewhere(page):
    links = re.findall(r"\]\(([^)\s]+)\)", page.read_text())
    assert page.name != "README.md" or page.parent != ROOT or len(links) >= 10
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link} -> {target} does not exist"
        if anchor:
            assert anchor in _anchors(target), f"{page.name}: no heading #{anchor} in {target}"


def _commands() -> dict[str, str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(line.replace(" ", "").split("=") for line in lines)


def test_every_command_the_readme_names_answers_help():
    commands = _commands()
    named = set(re.findall(r"\bfhmr-[a-z]+(?:-[a-z]+)?", README))
    assert {"fhmr-video", "fhmr-export", "fhmr-bench", "fhmr-bag", "fhmr-player"} <= named
    for name in sorted(named):
        assert name in commands, f"README names {name}, which setup.cfg does not declare"
        module = commands[name].split(":")[0]
        out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                             text=True, timeout=120, cwd=ROOT)
        assert out.returncode == 0 and "usage" in out.stdout.lower(), (name, out.stderr)


def test_the_make_targets_the_readme_shows_exist():
    for target in re.findall(r"^make (\w+)", README, re.M):
        out = subprocess.run(["make", "-n", target], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr


def test_quick_start_launch_arguments_are_declared():
    source = (ROOT / "launch" / "fhmr.launch.py").read_text()
    tree = ast.parse(source)
    declared = {call.args[0].value for call in ast.walk(tree) if isinstance(call, ast.Call)
                and getattr(call.func, "id", "") == "DeclareLaunchArgument"
                and call.args and isinstance(call.args[0], ast.Constant)}
    declared |= set(ast.literal_eval(next(
        node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") == "NODE_ARGUMENTS")))
    quick = README.split("ros2 launch fhmr_ros fhmr.launch.py", 1)[1].split("```")[0]
    used = set(re.findall(r"(\w+):=", quick))
    assert used and used <= declared, used - declared


def test_readme_layout_matches_the_tree():
    layout = README.split("## Layout", 1)[1].split("```")[1]
    packages = {p.name for p in (ROOT / "fhmr_ros").iterdir()
                if p.is_dir() and (p / "__init__.py").is_file()} - {"msg"}
    listed = dict(re.findall(r"^  (\w+)/\s+(.*(?:\n {18}.*)*)", layout, re.M))
    assert set(listed) == packages, set(listed) ^ packages
    for package, text in listed.items():
        for module in re.findall(r"(\w+\.py)", text):
            assert (ROOT / "fhmr_ros" / package / module).is_file(), f"{package}/{module}"
