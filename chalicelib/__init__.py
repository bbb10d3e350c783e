"""Domain logic of the professional sign-up API; app.py only routes into it."""
