"""Brug: a Telegram support bot for refugee families waiting for family reunification."""
