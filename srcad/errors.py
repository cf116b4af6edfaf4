"""Errors raised on purpose by srcad.

Every error points at the user's code: it carries the file, line, column and
source line, and prints like a traceback frame with a caret, followed by what
went wrong and what to do instead.
"""


class SrcadError(Exception):
    """Base class of every error srcad raises on purpose."""

    def __init__(self, message, filename=None, lineno=None, col=None,
                 line=None, function=None, end_col=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.end_col = end_col
        self.line = line
        self.function = function
        super().__init__(self._render())

    def _render(self):
        if self.filename is None or self.lineno is None:
            return self.message
        where = f'  File "{self.filename}", line {self.lineno}'
        if self.function:
            where += f", in {self.function}"
        lines = [where]
        if self.line:
            text = self.line.rstrip()
            stripped = text.lstrip()
            lines.append("    " + stripped)
            if self.col is not None:
                start = max(self.col - (len(text) - len(stripped)), 0)
                width = 1
                if self.end_col is not None and self.end_col > self.col:
                    width = self.end_col - self.col
                width = max(1, min(width, len(stripped) - start))
                lines.append("    " + " " * start + "^" * width)
        lines.append(self.message)
        return "\n".join(lines)


class UnsupportedSyntax(SrcadError):
    """The function uses Python syntax srcad does not differentiate."""


class NoDerivativeRule(SrcadError):
    """A call to something with neither a derivative rule nor source."""


class NonScalarOutput(SrcadError):
    """grad was asked for the gradient of a non-scalar output."""


class SourceUnavailable(SrcadError):
    """The function's source code cannot be read."""


class UsageError(SrcadError):
    """The transform was called with arguments that do not fit."""


def located(kind, message, node, fn):
    """An error of `kind` located at gast `node` of captured function `fn`."""
    lineno = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    end_col = getattr(node, "end_col_offset", None)
    if getattr(node, "end_lineno", lineno) != lineno:
        end_col = None
    if fn is None or lineno is None:
        return kind(message)
    return kind(message, filename=fn.filename, lineno=lineno, col=col,
                line=fn.line_text(lineno), function=fn.name, end_col=end_col)
