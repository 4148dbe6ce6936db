"""Environment families (walker obstacle courses, mazes); know nothing of who generates them."""
