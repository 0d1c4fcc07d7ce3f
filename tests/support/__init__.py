"""Test helpers shared by several test folders, e.g. ``from support.ops import make_user, sign_in``."""
