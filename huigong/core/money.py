"""Money is integer fen. Helpers to format it for people."""

from decimal import Decimal


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,.2f}"
