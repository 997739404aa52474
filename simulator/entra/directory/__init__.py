"""The tenant's directory: users, groups, deleted items and the change feed (model), and its Graph views."""
from .changes import Change, ChangeFeed, WatermarkExpired
from .model import DeltaItem, DeltaPage, Directory, DirectoryError, DirectoryObject, Group, User

__all__ = ["Change", "ChangeFeed", "DeltaItem", "DeltaPage", "Directory", "DirectoryError", "DirectoryObject",
           "Group", "User", "WatermarkExpired"]
