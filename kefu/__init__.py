"""kefu 客服: the Django project package."""
