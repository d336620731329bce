"""Page routers, one per audience (`auth_pages` for everyone), and the calendar feeds."""
