"""The example site: django-voiceotp mounted in a plain Django project, configured from the environment."""
