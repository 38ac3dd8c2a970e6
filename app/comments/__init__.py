"""Instagram comments as stored rows. This package alone writes `comments`; staff's actions on
them are in `app/inbox/comments.py`."""
