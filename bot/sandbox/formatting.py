"""Turn HTML or Markdown message text into the plain text Telegram would store."""

from __future__ import annotations

from html.parser import HTMLParser

from .errors import ApiError, bad_request

HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
MARKDOWN_V2_MARKS = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}


def parse_error(detail: str) -> ApiError:
    """Build Telegram's 'can't parse entities' error."""
    return bad_request(f"can't parse entities: {detail}")


def plain_text(text: str, parse_mode: str | None) -> str:
    """Return the text as Telegram shows it after applying parse_mode."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    if mode == "markdown":
        return _markdown_to_plain(text)
    raise bad_request("unsupported parse_mode")


def _byte_offset(text: str, char_index: int) -> int:
    return len(text[:char_index].encode("utf-8"))


class _TelegramHtml(HTMLParser):
    """Collect text from Telegram's HTML subset and note the first markup error."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return _byte_offset(self._source, self._line_starts[line - 1] + column)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is not None:
            return
        if tag not in HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}" at byte offset {self._offset()}'
            return
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is None:
            self.error = f'Unsupported start tag "{tag}" at byte offset {self._offset()}'

    def handle_endtag(self, tag: str) -> None:
        if self.error is not None:
            return
        if not self.stack:
            self.error = f"Unexpected end tag at byte offset {self._offset()}"
        elif self.stack[-1] != tag:
            self.error = (
                f'Unmatched end tag at byte offset {self._offset()}, expected "</{self.stack[-1]}>", found "</{tag}>"'
            )
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_to_plain(text: str) -> str:
    parser = _TelegramHtml(text)
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error is not None:
        raise parse_error(parser.error)
    return "".join(parser.parts)


def _find_unescaped(text: str, token: str, start: int) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(token, index):
            return index
        index += 1
    return -1


def _unescape(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            index += 1
        out.append(text[index])
        index += 1
    return "".join(out)


def _markdown_v2_to_plain(text: str) -> str:
    out: list[str] = []
    open_marks: list[tuple[str, int]] = []
    links: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text):
                raise parse_error("Character '\\' is reserved and must be escaped with the preceding '\\'")
            out.append(text[index + 1])
            index += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", index) else "`"
            end = _find_unescaped(text, fence, index + len(fence))
            if end < 0:
                entity = "Pre" if fence == "```" else "Code"
                raise parse_error(f"Can't find end of {entity} entity at byte offset {_byte_offset(text, index)}")
            body = text[index + len(fence) : end]
            if fence == "```" and "\n" in body:
                body = body.split("\n", 1)[1]
            out.append(_unescape(body))
            index = end + len(fence)
            continue
        mark = next((m for m in ("||", "__", "*", "_", "~") if text.startswith(m, index)), None)
        if mark is not None:
            positions = [i for i, (m, _) in enumerate(open_marks) if m == mark]
            if positions:
                del open_marks[positions[-1]]
            else:
                open_marks.append((mark, index))
            index += len(mark)
            continue
        if char == "[":
            links.append(index)
            index += 1
            continue
        if char == "]" and links and text.startswith("(", index + 1):
            end = _find_unescaped(text, ")", index + 2)
            if end < 0:
                raise parse_error(f"Can't find end of a URL at byte offset {_byte_offset(text, index + 1)}")
            links.pop()
            index = end + 1
            continue
        if char == ">" and (index == 0 or text[index - 1] == "\n"):
            index += 1
            continue
        if char in MARKDOWN_V2_RESERVED:
            raise parse_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        out.append(char)
        index += 1
    if open_marks:
        mark, position = open_marks[0]
        entity = MARKDOWN_V2_MARKS[mark]
        raise parse_error(f"Can't find end of {entity} entity at byte offset {_byte_offset(text, position)}")
    if links:
        raise parse_error(f"Can't find end of TextUrl entity at byte offset {_byte_offset(text, links[0])}")
    return "".join(out)


def _markdown_to_plain(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "_*`[":
            out.append(text[index + 1])
            index += 2
            continue
        if char in "*_`" or (char == "[" and "](" in text[index:]):
            marker = "```" if text.startswith("```", index) else ("](" if char == "[" else char)
            end = text.find(marker, index + (3 if marker == "```" else 1))
            if end < 0:
                raise parse_error(f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}")
            start = index + (3 if marker == "```" else 1)
            out.append(text[start:end])
            index = end + len(marker)
            if marker == "](":
                close = text.find(")", index)
                index = len(text) if close < 0 else close + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)
