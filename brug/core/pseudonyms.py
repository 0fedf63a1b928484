"""Names key persons see instead of anything that identifies a user: "Olive-42"."""

from __future__ import annotations

WORDS = (
    "Acacia", "Almond", "Amber", "Aspen", "Basil", "Birch", "Brook", "Cedar", "Clover", "Coral",
    "Cypress", "Daisy", "Dune", "Elm", "Fern", "Fig", "Flint", "Garnet", "Hazel", "Heron",
    "Iris", "Ivy", "Jade", "Juniper", "Lark", "Laurel", "Lily", "Linden", "Lotus", "Maple",
    "Meadow", "Mint", "Moss", "Myrtle", "Oak", "Olive", "Opal", "Orchid", "Pearl", "Pine",
    "Poppy", "Quartz", "Reed", "River", "Robin", "Rose", "Rowan", "Saffron", "Sage", "Sparrow",
    "Stone", "Swallow", "Thyme", "Tulip", "Willow", "Wren",
)  # fmt: skip


def pseudonym(user_id: int | None) -> str:
    """Stable for a user and unique (the number is the row id); it says nothing about the Telegram account."""
    if user_id is None:
        return "Anonymous"
    return f"{WORDS[(user_id * 7919) % len(WORDS)]}-{user_id}"
