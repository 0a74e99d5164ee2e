"""`makemessages` for this project: no fuzzy guesses (a guessed translation is worse than English),
and never the virtualenv, vendored libraries or test output."""

from django.core.management.commands import makemessages

IGNORED = [".venv/*", "static/vendor/*", "staticfiles/*", "test-results/*", "tests/*", "media/*", "*.egg-info/*"]


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        options["no_obsolete"] = True
        return super().handle(*args, **options)
