"""The one exception type for what a user's model does that fpgalab cannot take."""


class CompileError(Exception):
    """The function or model cannot become a design; the message says what and what is allowed."""
