"""Formatted text becomes Telegram's plain text, and bad markup fails like Telegram."""

from __future__ import annotations

import pytest

from bot.sandbox.errors import ApiError
from bot.sandbox.formatting import plain_text


@pytest.mark.parametrize(
    ("text", "mode", "plain"),
    [
        ("<b>Hi</b> <a href='https://x.org'>there</a> &lt;3", "HTML", "Hi there <3"),
        ("<tg-spoiler>s</tg-spoiler><span class='tg-spoiler'>t</span>", "HTML", "st"),
        (
            r"*Bold* _it_ __u__ ~s~ ||sp|| `c\`` [link](https://x.org) 1\.5\!",
            "MarkdownV2",
            "Bold it u s sp c` link 1.5!",
        ),
        ("```python\nprint(1)\n```", "MarkdownV2", "print(1)\n"),
        ("*b* _i_ `c` [l](https://x.org)", "Markdown", "b i c l"),
        ("no parse mode <b>", None, "no parse mode <b>"),
    ],
)
def test_plain_text(text: str, mode: str | None, plain: str) -> None:
    assert plain_text(text, mode) == plain


@pytest.mark.parametrize(
    ("text", "mode", "fragment"),
    [
        ("a<br/>b", "HTML", 'Unsupported start tag "br" at byte offset 1'),
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("Done.", "MarkdownV2", "Character '.' is reserved"),
        ("*open", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("_open", "Markdown", "Can't find end of the entity starting at byte offset 0"),
        ("x", "Fancy", "unsupported parse_mode"),
    ],
)
def test_parse_errors(text: str, mode: str, fragment: str) -> None:
    with pytest.raises(ApiError) as caught:
        plain_text(text, mode)
    assert caught.value.code == 400 and fragment in caught.value.description
