"""Prints the first ```LANG code block under a README heading, so that CI
runs the README's examples as they are written (copy-paste ready).

Usage: python3 .ci/readme_snippet.py README.md "### Python" python
Exit status 1, naming what is missing, when the heading or block is not there."""

import sys


def snippet(text: str, heading: str, lang: str) -> str:
    lines = text.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise SystemExit(f"readme_snippet: no line {heading!r}") from None
    level = len(heading) - len(heading.lstrip("#"))
    fence = f"```{lang}"
    in_block = False
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.startswith("```"):
            in_block = not in_block
        if not in_block and line.startswith("#") and len(line) - len(line.lstrip("#")) <= level:
            break  # the next section of the same or a higher level
        if line.strip() == fence:
            body = []
            for inner in lines[i + 1 :]:
                if inner.strip() == "```":
                    return "\n".join(body) + "\n"
                body.append(inner)
            raise SystemExit(f"readme_snippet: the {fence} block under {heading!r} is not closed")
    raise SystemExit(f"readme_snippet: no {fence} block under {heading!r}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    path, heading, lang = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        sys.stdout.write(snippet(f.read(), heading, lang))
