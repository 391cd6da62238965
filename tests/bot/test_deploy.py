"""deploy/: the Dockerfile installs from the constraints CI uses; compose parses; the unit and proxy are sound."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NOT_IN_COMPOSE = {"DATABASE_URL", "CAIRN_DATA_DIR", "POSTGRES_PASSWORD", "CAIRN_DOMAIN"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def pip_installs(commands: str) -> list[str]:
    """The pip installs of packages (not of pip itself), in order."""
    parts = [part.strip() for part in re.split(r"&&|\n", commands)]
    return [part for part in parts if "pip install" in part and not part.endswith("--upgrade pip")]


def torch_pin(text: str) -> str:
    (pin,) = set(re.findall(r"torch==([0-9.]+)", text))
    return pin


def test_the_dockerfile_installs_from_the_same_constraints_as_ci() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert any(kind == "COPY" and "constraints.txt" in args.split() for kind, args in instructions)
    docker_installs = [line for kind, args in instructions if kind == "RUN" for line in pip_installs(args)]
    setup = (ROOT / "scripts" / "setup").read_text()
    ci_installs = pip_installs(setup)
    assert (
        "scripts/setup" in (ROOT / "scripts" / "test").read_text()
        and "scripts/test" in (ROOT / ".ci" / "run").read_text()
    )
    for installs in (docker_installs, ci_installs):
        assert len(installs) == 2 and all("-c constraints.txt" in line for line in installs), installs
        assert "torch==" in installs[0] and re.search(r"-e \"?\.", installs[1]), "torch first, then Cairn"
    assert torch_pin("\n".join(docker_installs)) == torch_pin(setup) == torch_pin((ROOT / "pyproject.toml").read_text())
    constraints = {
        line.split("==")[0].lower().replace("_", "-") for line in (ROOT / "constraints.txt").read_text().split()
    }
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=!~ ]", requirement)[0].lower().replace("_", "-") for requirement in dependencies}
    assert names - constraints == set(), "every runtime dependency is pinned in constraints.txt"


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck_on_healthz() -> None:
    instructions = dict(dockerfile_instructions())
    assert instructions["USER"] not in ("root", "0")
    assert "/healthz" in instructions["HEALTHCHECK"] and instructions["CMD"] == '["python", "-m", "bot", "run"]'


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_the_bot_postgresql_with_a_volume_and_a_tls_proxy_for_webhook_mode() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "bot", "caddy"}
    assert (
        services["db"]["image"].startswith("postgres:")
        and "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    )
    assert services["bot"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in services["bot"] and "ports" not in services["db"], "only the proxy is published"
    grace = int(services["bot"]["stop_grace_period"].rstrip("s"))
    assert grace > Settings().shutdown_seconds, "compose waits longer than the bot's own shutdown bound"
    assert services["caddy"]["profiles"] == ["webhook"] and "443:443" in services["caddy"]["ports"]
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    handled = re.findall(r"^\s*handle\s+(\S+)\s*\{", caddyfile, re.MULTILINE)
    assert handled == ["/telegram/webhook", "/openreferral/*", "/dashboard*"], "health and metrics stay private"
    assert re.search(r"^\s*handle\s*\{\s*respond 404", caddyfile, re.MULTILINE)


def test_compose_passes_every_setting_with_the_bots_own_defaults() -> None:
    environment = compose()["services"]["bot"]["environment"]
    example = set(re.findall(r"^([A-Z_]+)=", (DEPLOY / ".env.example").read_text(), re.MULTILINE))
    assert example - NOT_IN_COMPOSE == set(environment) - {"DATABASE_URL"}
    assert "CAIRN_TEST_HOLD_INBOX" not in example, "a switch for tests only is not offered to operators"
    defaults = {
        name: re.fullmatch(r"\$\{[A-Z_]+:-(.*)\}", str(value)).group(1) if str(value).startswith("${") else str(value)
        for name, value in environment.items()
    }
    in_compose, plain = Settings.from_env(defaults), Settings()
    different = {name for name in Settings.__dataclass_fields__ if getattr(in_compose, name) != getattr(plain, name)}
    deliberate = {
        "database_url",
        "log_format",
        "web_host",
        "web_port",
        "trusted_proxies",
    }  # in containers, behind Caddy
    assert different == deliberate, different


def test_the_systemd_unit_runs_the_bot_as_its_own_user_and_lets_shutdown_finish() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "cairn.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith("-m bot run") and service["ExecStartPre"].endswith("-m bot migrate")
    assert service["User"] == "cairn" and service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > Settings().shutdown_seconds
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def compose_cli() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_config_parses() -> None:
    command = compose_cli()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("no docker compose CLI: .ci/run installs docker-compose with apt")
        pytest.skip("no docker compose CLI here (apt-get install docker-compose); the YAML is checked above")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CAIRN_", "TELEGRAM_", "POSTGRES_"))}
    config = [*command, "-f", str(DEPLOY / "compose.yaml"), "--profile", "webhook", "config", "--services"]
    refused = subprocess.run(config, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr, "no default database password"
    result = subprocess.run(config, capture_output=True, text=True, env=env | {"POSTGRES_PASSWORD": "x"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "migrate", "bot", "caddy"}
