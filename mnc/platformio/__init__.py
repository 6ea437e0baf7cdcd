"""PlatformIO projects for boards: mnc's own PlatformIO core (core.py), the generated project
(project.py) and `mnc flash` (flash.py)."""
