"""``make demo``: the example site on SQLite with the gateway simulator, in one command.

Starts the simulator (unless ``VOICEOTP_BASE_URL`` points at a real gateway), migrates, creates an
admin login and prints it, then serves the site until Ctrl-C, which stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _allauth() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "ALLAUTH", False))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    simulator = None
    if not os.environ.get("VOICEOTP_BASE_URL"):
        from django_voiceotp.simulator import GatewaySimulator

        sim_port = int(os.environ.get("SIMULATOR_PORT", "8765"))
        simulator = GatewaySimulator(
            host="127.0.0.1",
            port=sim_port if _free("127.0.0.1", sim_port) else 0,
            username="demo",
            password=secrets.token_urlsafe(12),
            key=secrets.token_urlsafe(12),
            balance=1000,
            answer_after=4.0,
        ).start()
        os.environ.update(
            VOICEOTP_BASE_URL=simulator.base_url,
            VOICEOTP_USERNAME=simulator.username,
            VOICEOTP_PASSWORD=simulator.password,
            VOICEOTP_KEY=simulator.key,
            VOICEOTP_DEMO_SIMULATOR_URL=simulator.url,
        )
        # Short enough to try each limit by hand, long enough to see it work.
        os.environ.setdefault("VOICEOTP_RESEND_COOLDOWN", "20")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.invalid"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()

    if not _free(host, port):
        print(f"Port {port} is taken: run PORT=8001 make demo", file=sys.stderr)
        if simulator is not None:
            simulator.stop()
        return 1
    site = f"http://{host}:{port}"
    print(
        "\n".join(
            [
                "",
                "django-voiceotp demo",
                f"  try it:       {site}/",
                f"  admin:        {site}/admin/   login: admin / {password}",
                *(
                    [f"  sign up:      {site}/accounts/signup/ (django-allauth, by a call)"]
                    if _allauth()
                    else []
                ),
                f"  API docs:     {site}/api/docs/",
                f"  API schema:   {site}/api/schema/",
                f"  simulator:    {simulator.url}/calls (the codes it read out)"
                if simulator
                else f"  gateway:      {os.environ['VOICEOTP_BASE_URL']}",
                "  Ctrl-C stops everything.",
                "",
            ]
        ),
        flush=True,
    )
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=False)
    except KeyboardInterrupt:
        pass
    finally:
        if simulator is not None:
            simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
