"""deploy/helm/quiet-hours: rendered by Helm itself, every object checked against Kubernetes'
own JSON schemas, and what an admin relies on asserted on the rendered objects.

Helm's template engine comes from helm-python-sdk (Helm v4's Go SDK, built into the wheel) and
the schemas from kubernetes-validate; both are in the `test` extra. Without them these tests
skip and say which package is missing. Rendered for the default values and for a production
set (ci/production-values.yaml: 2 replicas, Ingress with TLS, PostgreSQL from the Secret).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import yaml

from tests.support.deploy import CHART, DOCKERFILE, app_settings, dockerfile

helm = pytest.importorskip(
    "helm_python", reason="helm-python-sdk (Helm's Go SDK) is missing: pip install -e '.[test]'"
)
kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is not installed: pip install -e '.[test]'"
)

RELEASE = "quiet-hours"
NAMESPACE = "quiet-hours"
PRODUCTION = yaml.safe_load((CHART / "ci" / "production-values.yaml").read_text(encoding="utf-8"))
VALUE_SETS = {"default": {}, "production": PRODUCTION}
#: The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest schemas.
KUBERNETES = ["1.25.0", kubernetes_validate.latest_version()]
REQUIRED_KEYS = {"QUIET_HOURS_SECRET_KEY", "DATABASE_URL"}

Manifest = dict[str, Any]


def render(values: dict[str, Any]) -> list[Manifest]:
    """`helm template` of the chart: every object, hooks included, NOTES.txt left out."""
    chart = helm.Chart.load(CHART)
    files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects: list[Manifest] = []
    for path, text in sorted(files.items()):
        if path.endswith(".yaml"):
            objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def notes(values: dict[str, Any]) -> str:
    files = helm.Chart.load(CHART).render(values, name=RELEASE, namespace=NAMESPACE)
    return str(files[f"{RELEASE}/templates/NOTES.txt"])


def only(objects: list[Manifest], kind: str) -> Manifest:
    found = [item for item in objects if item["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def kinds(objects: list[Manifest]) -> list[str]:
    return sorted(item["kind"] for item in objects)


def container(pod_spec: Manifest) -> Manifest:
    (one,) = pod_spec["containers"]
    return dict(one)


# -- Helm and Kubernetes accept it ----------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES)
@pytest.mark.parametrize("values", VALUE_SETS.keys())
def test_every_rendered_object_is_valid_kubernetes(values: str, version: str) -> None:
    """Strict schemas: a misspelt or misplaced field fails, not only a wrong type."""
    objects = render(VALUE_SETS[values])
    assert objects
    for item in objects:
        kubernetes_validate.validate(item, version, strict=True)


def test_helm_lint_finds_nothing_to_warn_about() -> None:
    for values in VALUE_SETS.values():
        report = helm.lint(CHART, values, strict=True, kube_version="v1.25.0")
        warnings = [m for m in report["messages"] if m["severity"] >= 2]
        assert report["errors"] == [] and warnings == [], report


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicas": 3}, "additional properties 'replicas' not allowed"),
        ({"replicaCount": 0}, "minimum: got 0, want 1"),
        ({"config": {"log_level": "DEBUG"}}, "'log_level' does not match"),
        ({"ingress": {"enabled": True, "paths": ["slack"]}}, "'slack' does not match"),
        ({"terminationGracePeriodSeconds": 5}, "minimum: got 5, want 11"),
        # a token as a plain value would sit in the release history for anyone who can read it
        ({"config": {"SLACK_BOT_TOKEN": "xoxb-1"}}, "invalid propertyName 'SLACK_BOT_TOKEN'"),
        ({"config": {"DATABASE_URL": "postgresql://u:p@h/d"}}, "invalid propertyName"),
    ],
)
def test_a_misspelt_or_wrong_value_stops_the_install_with_a_message(
    values: dict[str, Any], complaint: str
) -> None:
    """values.schema.json: a typo is refused by name rather than silently ignored."""
    with pytest.raises(helm.HelmError, match=re.escape(complaint)):
        render(values)


def test_default_and_production_render_the_expected_objects() -> None:
    common = ["Deployment", "Job", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"]
    assert kinds(render({})) == common
    assert kinds(render(PRODUCTION)) == sorted([*common, "Ingress"])


# -- secrets are referenced, never rendered ------------------------------------------------


@pytest.mark.parametrize("values", VALUE_SETS.keys())
def test_no_secret_is_rendered_and_every_secret_comes_from_the_existing_secret(
    values: str,
) -> None:
    objects = render(VALUE_SETS[values])
    assert "Secret" not in kinds(objects)
    expected = VALUE_SETS[values].get("secret", {}).get("existingSecret") or RELEASE
    for item in (only(objects, "Deployment"), only(objects, "Job")):
        env = container(item["spec"]["template"]["spec"])["env"]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}
        assert {ref["name"] for ref in refs.values()} == {expected}
        assert all(ref["key"] == name for name, ref in refs.items())
        for key in REQUIRED_KEYS:  # a missing key stops the pod, rather than run without it
            assert refs[key].get("optional") is not True
        assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MICROSOFT_APP_PASSWORD"} <= {
            name for name, ref in refs.items() if ref.get("optional") is True
        }
        plain = {e["name"]: e["value"] for e in env if "value" in e}
        assert not plain.keys() & (REQUIRED_KEYS | set(refs)), "a secret given as a plain value"


def test_every_variable_the_chart_sets_is_one_the_app_reads() -> None:
    """A misspelt name in values.config or secret.optionalKeys would be silently ignored."""
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    for values in VALUE_SETS.values():
        env = container(only(render(values), "Deployment")["spec"]["template"]["spec"])["env"]
        names = {e["name"] for e in env}
        assert names <= app_settings(), names - app_settings()
    assert set(chart_values["config"]) | set(chart_values["secret"]["optionalKeys"]) <= (
        app_settings()
    )


def test_empty_config_values_are_left_out_so_the_app_default_applies() -> None:
    env = container(only(render({}), "Deployment")["spec"]["template"]["spec"])["env"]
    assert {e["name"]: e.get("value") for e in env if "value" in e} == {
        "PORT": "3000",
        "LOG_LEVEL": "INFO",
    }


# -- the Deployment ------------------------------------------------------------------------


def test_production_runs_two_replicas_spread_with_a_disruption_budget() -> None:
    objects = render(PRODUCTION)
    deployment = only(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pdb = only(objects, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]


@pytest.mark.parametrize("replicas", [1, 5])
def test_replicas_is_a_value_and_one_replica_gets_no_budget_that_would_block_drains(
    replicas: int,
) -> None:
    objects = render({"replicaCount": replicas})
    assert only(objects, "Deployment")["spec"]["replicas"] == replicas
    assert ("PodDisruptionBudget" in kinds(objects)) == (replicas > 1)


def test_pods_serve_without_migrating_and_probe_healthz_and_readyz() -> None:
    spec = only(render({}), "Deployment")["spec"]["template"]["spec"]
    app = container(spec)
    assert app["args"] == ["serve", "--no-migrate"]
    (port,) = app["ports"]
    assert port["name"] == "http"
    assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert app["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["PORT"] == str(port["containerPort"])


def test_pods_are_scraped_by_prometheus_on_metrics() -> None:
    template = only(render({}), "Deployment")["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(
        container(template["spec"])["ports"][0]["containerPort"]
    )
    off = only(render({"metrics": {"scrapeAnnotations": False}}), "Deployment")
    assert "prometheus.io/scrape" not in (off["spec"]["template"]["metadata"]["annotations"] or {})


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_as_the_images_non_root_user_on_a_read_only_root(kind: str) -> None:
    spec = only(render({}), kind)["spec"]["template"]["spec"]
    (user,) = [i.arguments for i in dockerfile(DOCKERFILE) if i.keyword == "USER"]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert f"{pod['runAsUser']}:{pod['runAsGroup']}" == user
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    box = container(spec)["securityContext"]
    assert box["readOnlyRootFilesystem"] is True
    assert box["allowPrivilegeEscalation"] is False
    assert box["capabilities"] == {"drop": ["ALL"]}
    assert spec["automountServiceAccountToken"] is False
    mounts = {m["mountPath"] for m in container(spec)["volumeMounts"]}
    assert mounts == {"/tmp"}  # the only writable place


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_containers_have_resource_requests_and_limits(kind: str) -> None:
    resources = container(only(render({}), kind)["spec"]["template"]["spec"])["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


# -- the migration Job ---------------------------------------------------------------------


def test_migrations_run_as_a_job_before_install_and_upgrade() -> None:
    job = only(render({}), "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    spec = job["spec"]["template"]["spec"]
    assert container(spec)["args"] == ["migrate"]
    assert spec["restartPolicy"] == "Never"
    # A pre-install hook runs before the chart's ServiceAccount exists: it must not need it.
    assert "serviceAccountName" not in spec
    deployment = only(render({}), "Deployment")["spec"]["template"]["spec"]
    assert container(spec)["image"] == container(deployment)["image"]
    assert container(spec)["env"] == container(deployment)["env"]


def test_migrations_can_be_left_to_the_operator() -> None:
    assert "Job" not in kinds(render({"migrations": {"enabled": False}}))
    assert "quiet-hours migrate" in notes({"migrations": {"enabled": False}})


# -- Service and Ingress -------------------------------------------------------------------


def test_service_and_ingress_reach_the_pods_and_expose_only_what_platforms_call() -> None:
    objects = render(PRODUCTION)
    service, ingress = only(objects, "Service"), only(objects, "Ingress")
    template = only(objects, "Deployment")["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == container(template["spec"])["ports"][0]["name"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "quiet-hours.agency.example"
    assert ingress["spec"]["tls"][0]["hosts"] == ["quiet-hours.agency.example"]
    paths = rule["http"]["paths"]
    for path in paths:
        assert path["backend"]["service"] == {
            "name": service["metadata"]["name"],
            "port": {"number": port["port"]},
        }
    public = {path["path"] for path in paths}
    # /slack/events, /slack/install, Teams, and the pages the Teams app package links
    assert public == {"/", "/slack", "/api/messages", "/privacy", "/terms"}
    prefixes = {path["path"] for path in paths if path["pathType"] == "Prefix"}
    assert [path["pathType"] for path in paths if path["path"] == "/"] == ["Exact"]
    assert not {"/metrics", "/healthz", "/readyz", "/"} & prefixes


def test_ingress_serves_the_pages_the_teams_app_package_links() -> None:
    """Teams shows the website, privacy and terms links of the app package to everyone."""
    from urllib.parse import urlsplit

    from adapters.teams.manifest import build_manifest

    host = "quiet-hours.agency.example"
    developer = build_manifest(app_id=str(uuid.UUID(int=1)), domain=host, version="1.0.0")[
        "developer"
    ]
    (rule,) = only(render(PRODUCTION), "Ingress")["spec"]["rules"]
    routed = rule["http"]["paths"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        url = urlsplit(developer[key])
        assert url.netloc == rule["host"]
        assert any(
            url.path == path["path"]
            or (path["pathType"] == "Prefix" and url.path.startswith(path["path"] + "/"))
            for path in routed
        ), url.path


def readyz_test_pod(values: dict[str, Any]) -> Manifest:
    pods = [item for item in render(values) if item["kind"] == "Pod"]
    (pod,) = pods
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    return pod


def test_helm_test_asks_the_service_for_readyz_with_the_apps_image() -> None:
    objects = render(PRODUCTION)
    service = only(objects, "Service")
    pod = readyz_test_pod(PRODUCTION)
    command = container(pod["spec"])["command"]
    assert command[:2] == ["python", "-c"]
    url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/readyz"
    assert url in command[2]
    compile(command[2], "readyz-test", "exec")  # a valid one-liner after YAML folding
    app = container(only(objects, "Deployment")["spec"]["template"]["spec"])
    assert container(pod["spec"])["image"] == app["image"]
    assert container(pod["spec"])["securityContext"]["readOnlyRootFilesystem"] is True


def test_notes_tell_the_admin_the_urls_to_give_slack_and_teams() -> None:
    text = notes(PRODUCTION)
    assert "https://quiet-hours.agency.example/slack/events" in text
    assert "https://quiet-hours.agency.example/api/messages" in text
    assert 'Secret "quiet-hours-production"' in text


# -- the chart's README documents every value ----------------------------------------------


def _leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def test_chart_readme_documents_every_value() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, re.MULTILINE))
    missing = [leaf for leaf in _leaves(values) if leaf not in documented]
    assert not missing, f"document in deploy/helm/quiet-hours/README.md: {missing}"
    stale = documented - set(_leaves(values))
    assert not stale, f"README documents values the chart does not have: {sorted(stale)}"
