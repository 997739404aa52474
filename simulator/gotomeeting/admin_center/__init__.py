"""The GoTo Admin Center as pages (SPEC §8), on the GoToMeeting server under ``/admin-center/``."""
from .views import admin_center_blueprint, render_admin_center_error

__all__ = ["admin_center_blueprint", "render_admin_center_error"]
