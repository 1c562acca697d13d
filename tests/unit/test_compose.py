"""docker-compose.yml, Dockerfile and .dockerignore, checked statically.

Docker cannot run where the suite runs, so these tests read the files: the services exist and
start in the right order, every app container runs a command the `aries` CLI really has, the
configuration it gets is accepted by `Settings`, and the image is multi-stage and non-root.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from interfaces.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "api", "projector", "worker")
INFRA_SERVICES = ("postgres", "redis")
EXPECTED_COMMANDS = {
    "migrate": ["db", "upgrade"],
    "api": ["serve"],
    "projector": ["project"],
    "worker": ["worker"],
}
OWNER_DATABASE_URL = "postgresql://aries:aries@postgres:5432/aries"
APP_PASSWORD = "p" * 24
APP_DATABASE_URL = f"postgresql://aries_service:{APP_PASSWORD}@postgres:5432/aries"
REDIS_URL = "redis://redis:6379/0"
A_SECRET = "s" * 48
SHELL_SECRETS = {
    "ARIES_JWT_SECRET": A_SECRET,
    "ARIES_MFA_ENCRYPTION_KEY": "m" * 48,
    "ARIES_AUDIT_SIGNING_KEY": "a" * 48,
    "ARIES_AUDIT_HMAC_KEY": "h" * 48,
    "ARIES_DB_APP_PASSWORD": APP_PASSWORD,
    "ARIES_MBI_INDEX_KEY": "i" * 48,
}


# ---- reading the files ---------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _service(name: str) -> dict[str, Any]:
    return _compose()["services"][name]


def _instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical = (pending + line).strip()
        pending = ""
        keyword, _, arguments = logical.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each starting at its FROM."""
    stages: list[list[tuple[str, str]]] = []
    for keyword, arguments in _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8")):
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, arguments))
    return stages


def _final_stage(keyword: str) -> list[str]:
    return [arguments for kw, arguments in _stages()[-1] if kw == keyword]


def _exec_form(keyword: str) -> list[str]:
    """The final stage's last ENTRYPOINT or CMD, which must be in exec (JSON) form."""
    return json.loads(_final_stage(keyword)[-1])


def _interpolate(value: str, shell: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, word = match.group("name"), match.group("op"), match.group("word") or ""
        current = shell.get(name)
        if operator in (":-", "-"):
            missing = current is None or (operator == ":-" and current == "")
            return word if missing else str(current)
        if operator in (":?", "?"):
            if current is None or (operator == ":?" and current == ""):
                raise LookupError(f"{name}: {word}")
            return str(current)
        return current or ""

    pattern = r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<word>[^}]*))?\}"
    return re.sub(pattern, substitute, value)


def _container_environment(service: str, shell: Mapping[str, str]) -> dict[str, str]:
    """What the container sees: interpolated values; a key without a value passes the shell's
    value through when it is set and is left out otherwise."""
    environment: dict[str, str] = {}
    for key, value in (_service(service).get("environment") or {}).items():
        if value is None:
            if key in shell:
                environment[key] = shell[key]
            continue
        environment[key] = _interpolate(str(value), shell)
    return environment


def _resolve_cli(words: list[str]):
    """The `aries` (sub)command that WORDS name, with its remaining arguments parsed.

    Walks the Typer app's click groups the way the shell would, so ["db", "upgrade"] resolves
    to the `upgrade` command of the `db` group. Raises when a word names no command, when the
    words stop at a group, or when the leaf command rejects the remaining arguments."""
    import typer.main

    from interfaces.cli.main import app

    command = typer.main.get_command(app)
    path = ["aries"]
    remaining = list(words)
    while hasattr(command, "commands"):  # a group (Typer vendors click: duck-type it)
        if not remaining:
            raise LookupError(f"`{' '.join(path)}` is a group, not a command")
        word = remaining.pop(0)
        if word not in command.commands:
            raise LookupError(f"`{' '.join(path)}` has no command {word!r}")
        command = command.commands[word]
        path.append(word)
    with command.make_context(" ".join(path), remaining):
        pass
    return command


# ---- docker-compose.yml: the services ------------------------------------------------------


def test_compose_defines_every_service_of_the_stack():
    services = _compose()["services"]
    assert set(INFRA_SERVICES + APP_SERVICES + ("ollama",)) <= set(services)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_runs_a_command_the_aries_cli_has(service):
    spec = _service(service)
    entrypoint = spec.get("entrypoint") or _exec_form("ENTRYPOINT")
    command = spec.get("command") or _exec_form("CMD")
    assert entrypoint == ["aries"]
    _resolve_cli(command)


@pytest.mark.parametrize(("service", "command"), EXPECTED_COMMANDS.items())
def test_app_service_runs_its_own_aries_command(service, command):
    assert _service(service)["command"] == command


def test_the_cli_resolver_rejects_a_command_the_cli_lacks():
    with pytest.raises(LookupError):
        _resolve_cli(["db", "no-such-command"])


def test_the_cli_resolver_rejects_a_group_without_a_command():
    with pytest.raises(LookupError):
        _resolve_cli(["db"])


def test_app_services_share_one_image_built_from_the_dockerfile():
    builds = {json.dumps(_service(name).get("build"), sort_keys=True) for name in APP_SERVICES}
    images = {_service(name).get("image") for name in APP_SERVICES}
    assert len(builds) == 1 and len(images) == 1
    build = _service("api")["build"]
    assert build["context"] == "." and build.get("dockerfile", "Dockerfile") == "Dockerfile"


def test_migrate_runs_once_after_postgres_is_healthy():
    migrate = _service("migrate")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ("api", "projector", "worker"))
def test_long_running_service_starts_only_after_migrate_succeeds(service):
    depends_on = _service(service)["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", ("api", "projector", "worker"))
def test_long_running_service_waits_for_a_healthy_redis(service):
    # The composition root checks Redis at start-up, so each of them needs it.
    assert _service(service)["depends_on"]["redis"]["condition"] == "service_healthy"


def test_api_publishes_port_8000():
    assert any(str(port).endswith("8000:8000") for port in _service("api")["ports"])


def test_api_healthcheck_probes_the_health_endpoint():
    test = _service("api")["healthcheck"]["test"]
    assert "/health" in " ".join(test) and "8000" in " ".join(test)


@pytest.mark.parametrize("service", ("migrate", "projector", "worker"))
def test_processes_without_http_turn_off_the_images_api_healthcheck(service):
    assert _service(service)["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("service", INFRA_SERVICES)
def test_infrastructure_service_has_a_healthcheck(service):
    assert _service(service)["healthcheck"]["test"]


def test_postgres_is_version_16():
    assert _service("postgres")["image"] == "postgres:16"


def test_postgres_checks_health_with_pg_isready():
    assert "pg_isready" in " ".join(_service("postgres")["healthcheck"]["test"])


def test_postgres_keeps_its_data_in_a_named_volume():
    compose = _compose()
    mounts = [m for m in _service("postgres")["volumes"] if m.endswith(":/var/lib/postgresql/data")]
    assert mounts and mounts[0].split(":")[0] in compose["volumes"]


def test_redis_is_redis_7_or_valkey_8():
    assert _service("redis")["image"] in ("redis:7", "valkey/valkey:8")


def test_ollama_service_runs_the_ollama_image():
    assert _service("ollama")["image"].split(":")[0] == "ollama/ollama"


def test_ollama_service_starts_only_with_its_profile():
    assert _service("ollama")["profiles"] == ["ollama"]


def test_only_the_ollama_rabbitmq_and_monitoring_services_belong_to_a_profile():
    in_profiles = {name for name, spec in _compose()["services"].items() if spec.get("profiles")}
    assert in_profiles == {"ollama", "rabbitmq", "prometheus", "grafana"}


def test_rabbitmq_service_starts_only_with_its_profile_and_checks_its_health():
    rabbitmq = _service("rabbitmq")
    assert rabbitmq["image"].split(":")[0] == "rabbitmq"
    assert rabbitmq["profiles"] == ["rabbitmq"]
    assert "rabbitmq-diagnostics" in rabbitmq["healthcheck"]["test"]


# ---- docker-compose.yml: what the app containers are told ----------------------------------


@pytest.mark.parametrize("missing", sorted(SHELL_SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing):
    shell = {k: v for k, v in SHELL_SECRETS.items() if k != missing}
    with pytest.raises(LookupError, match=missing):
        _container_environment("api", shell=shell)


def test_postgres_creates_the_non_superuser_login_role_the_processes_use():
    service = _service("postgres")
    script = ROOT / "deploy" / "postgres-roles.sh"
    assert f"./deploy/{script.name}:/docker-entrypoint-initdb.d/10-aries-roles.sh:ro" in (
        service["volumes"]
    )
    text = script.read_text(encoding="utf-8")
    assert "CREATE ROLE aries_service LOGIN NOSUPERUSER" in text and "IN ROLE aries_app" in text


def test_the_worker_appends_checkpoints_to_a_witness_volume():
    environment = _container_environment("worker", shell=SHELL_SECRETS)
    assert environment["ARIES_AUDIT_WITNESS_DIR"] == "/var/lib/aries/witness"
    assert "audit-witness:/var/lib/aries/witness" in _service("worker")["volumes"]


def test_compose_refuses_to_start_without_an_mbi_index_key():
    with pytest.raises(LookupError, match="ARIES_MBI_INDEX_KEY"):
        _container_environment(
            "api", shell={k: v for k, v in SHELL_SECRETS.items() if k != "ARIES_MBI_INDEX_KEY"}
        )


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_gets_the_jwt_secret_from_the_shell(service):
    environment = _container_environment(service, shell=SHELL_SECRETS)
    assert environment["ARIES_JWT_SECRET"] == A_SECRET


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_runs_in_production_against_the_compose_servers(service):
    environment = _container_environment(service, shell=SHELL_SECRETS)
    assert environment["ARIES_ENVIRONMENT"] == "production"
    assert environment["ARIES_DATABASE_URL"] == (
        OWNER_DATABASE_URL if service == "migrate" else APP_DATABASE_URL
    )
    assert environment["ARIES_REDIS_URL"] == REDIS_URL
    assert environment["ARIES_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_environment_names_only_real_settings(service):
    prefix = Settings.model_config["env_prefix"]
    keys = _service(service)["environment"]
    unknown = [key for key in keys if key.removeprefix(prefix).lower() not in Settings.model_fields]
    assert all(key.startswith(prefix) for key in keys) and unknown == []


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_environment_is_accepted_by_the_settings_class(service, monkeypatch):
    for key in [key for key in os.environ if key.startswith("ARIES_")]:
        monkeypatch.delenv(key)
    for key, value in _container_environment(service, SHELL_SECRETS).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.environment == "production"
    assert settings.jwt_secret.get_secret_value() == A_SECRET


def test_worker_uses_the_local_summary_provider_unless_told_otherwise():
    environment = _container_environment("worker", shell=SHELL_SECRETS)
    assert environment["ARIES_SUMMARY_PROVIDER"] == "local"
    assert "ARIES_SUMMARY_MODEL" not in environment


def test_worker_uses_ollama_when_the_shell_asks_for_it():
    shell = {**SHELL_SECRETS, "ARIES_SUMMARY_PROVIDER": "ollama"}
    environment = _container_environment("worker", shell=shell)
    assert environment["ARIES_SUMMARY_PROVIDER"] == "ollama"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_uses_redis_for_jobs_unless_the_shell_names_a_broker(service):
    assert "ARIES_BROKER_URL" not in _container_environment(service, shell=SHELL_SECRETS)
    url = "amqp://aries:aries@rabbitmq:5672/"
    shell = {**SHELL_SECRETS, "ARIES_BROKER_URL": url}
    assert _container_environment(service, shell=shell)["ARIES_BROKER_URL"] == url


def test_worker_reaches_ollama_by_its_service_name():
    environment = _container_environment("worker", shell=SHELL_SECRETS)
    assert environment["ARIES_OLLAMA_URL"] == "http://ollama:11434"


# ---- Dockerfile and .dockerignore ----------------------------------------------------------


def test_dockerfile_builds_in_at_least_two_stages():
    assert len(_stages()) >= 2


def test_dockerfile_stages_start_from_python_3_11_slim():
    assert all(stage[0][1].split()[0] == "python:3.11-slim" for stage in _stages())


def test_dockerfile_final_stage_runs_as_a_non_root_user():
    users = _final_stage("USER")
    assert users, "the final stage has no USER line, so it runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_entrypoint_is_the_aries_command():
    assert _exec_form("ENTRYPOINT") == ["aries"]


def test_dockerfile_default_command_serves_the_api():
    assert _exec_form("CMD") == ["serve"]


def test_dockerfile_exposes_the_api_port():
    assert "8000" in " ".join(_final_stage("EXPOSE")).split()


def test_dockerfile_final_stage_has_a_healthcheck_on_the_health_endpoint():
    healthchecks = _final_stage("HEALTHCHECK")
    assert healthchecks and "/health" in healthchecks[-1]


def test_dockerfile_copies_every_package_pyproject_declares():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    copied = {args.split()[0] for stage in _stages() for kw, args in stage if kw == "COPY"}
    assert [package for package in packages if package not in copied] == []


def test_dockerfile_copies_the_readme_the_package_build_reads():
    copied = {
        source
        for stage in _stages()
        for kw, args in stage
        if kw == "COPY"
        for source in args.split()[:-1]
    }
    assert "README.md" in copied and "pyproject.toml" in copied


def _ignored(name: str) -> bool:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return any(fnmatch.fnmatch(name, pattern.removeprefix("**/")) for pattern in patterns)


@pytest.mark.parametrize("name", ("tests", ".venv", ".aries", ".git", "__pycache__"))
def test_dockerignore_keeps_local_state_and_tests_out_of_the_image(name):
    assert _ignored(name)


@pytest.mark.parametrize(
    "name", ("requirements.lock", "pyproject.toml", "README.md", "domain", "interfaces")
)
def test_dockerignore_keeps_what_the_build_needs(name):
    assert not _ignored(name)


def test_the_image_has_the_witness_directory_the_unprivileged_user_writes():
    # A new named volume takes the owner of the image's directory it is mounted on.
    runs = " ".join(_final_stage("RUN"))
    assert "install -d -o aries -g aries -m 0750 /var/lib/aries/witness" in runs
    worker = _container_environment("worker", shell=SHELL_SECRETS)
    assert worker["ARIES_AUDIT_WITNESS_DIR"] == "/var/lib/aries/witness"
