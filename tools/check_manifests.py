"""Checks what helm/giftvec renders (tools/check-deploy): the properties the chart promises.

    check_manifests.py DIR          check DIR/<variant>.yaml for every rendered variant
    check_manifests.py --rules F    print the groups of F's PrometheusRule (for promtool)
"""
import json
import sys
from pathlib import Path

import yaml

SECRETS = {"DATABASE_URL", "OPENAI_API_KEY", "GIFTVEC_AUTH_TOKEN", "GIFTVEC_OPS_TOKEN",
           "GIFTVEC_WIDGET_KEY", "GIFTVEC_REDIS_URL"}
RATES = ("GIFTVEC_AGENT_CALLS_PER_SEC", "GIFTVEC_OPS_CALLS_PER_SEC", "GIFTVEC_WIDGET_CALLS_PER_SEC")
ALERTS = {
    "GiftvecSlowToolCalls", "GiftvecHighErrorRate", "GiftvecCallersRateLimited",
    "GiftvecEmbeddingFailures",
    "GiftvecEmbeddingQueueStale", "GiftvecEmbeddingDeadLetters",
    "GiftvecEmbeddingBudgetNearLimit", "GiftvecEmbeddingCircuitOpen", "GiftvecStorageNearLimit",
}
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def load(path):
    return [d for d in yaml.safe_load_all(Path(path).read_text()) if d]


def find(docs, kind, name_part=""):
    return [d for d in docs if d["kind"] == kind and name_part in d["metadata"]["name"]]


def env(container):
    return {e["name"]: e for e in container.get("env", [])}


def giftvec_containers(pod):
    every = pod.get("initContainers", []) + pod["containers"]
    return [c for c in every if "giftvec/giftvec" in c["image"]]


def check_pod(variant, name, pod):
    where = f"{variant} {name}"
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot")
    for c in giftvec_containers(pod):
        at = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True, f"{at}: read-only root filesystem")
        check(sc.get("allowPrivilegeEscalation") is False, f"{at}: no privilege escalation")
        check(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) > 0, f"{at}: numeric non-root user")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{at}: drops all capabilities")
        check("resources" in c and "requests" in c["resources"], f"{at}: resource requests")
        variables = env(c)
        for secret in SECRETS:
            e = variables.get(secret)
            check(e is not None and "secretKeyRef" in e.get("valueFrom", {}), f"{at}: {secret} from a Secret")
        token = variables.get("GIFTVEC_AUTH_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
        listen = variables.get("GIFTVEC_LISTEN", {}).get("value", "")
        beyond_pod = not listen.startswith(("127.", "[::1]:", "localhost:"))
        if beyond_pod and "GIFTVEC_ALLOW_UNAUTHENTICATED" not in variables:
            check(token.get("optional") is False, f"{at}: listening on {listen}, the token is required")
        for rate in RATES:
            value = variables.get(rate, {}).get("value", "")
            check(value.isdigit(), f"{at}: {rate} is a number of calls per second, got {value!r}")
        read = variables.get("DATABASE_READ_URL")
        check(read is not None, f"{at}: DATABASE_READ_URL")
        if read is not None and "value" in read:
            check("$(GIFTVEC_DB_PASSWORD)" in read["value"], f"{at}: no literal password in DATABASE_READ_URL")


def check_serving(variant, name, c, worker):
    at = f"{variant} {name} {c['name']}"
    check(c["args"] == ["serve"], f"{at}: runs giftvec serve")
    check(env(c)["GIFTVEC_SERVE_WORKER"]["value"] == ("true" if worker else "false"), f"{at}: worker flag")
    sampling = int(env(c)["GIFTVEC_METRICS_SAMPLE_SECS"]["value"])
    check((sampling > 0) == worker, f"{at}: only workers sample database state")
    check(c["startupProbe"]["httpGet"]["path"] == "/healthz", f"{at}: startup probe /healthz")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{at}: liveness probe /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{at}: readiness probe /readyz")
    check(c["ports"][0]["name"] == "giftvec", f"{at}: port named giftvec")


def check_variant(variant, docs):
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            check_pod(variant, d["metadata"]["name"], d["spec"]["template"]["spec"])
    agents = [d for d in find(docs, "Deployment") if "worker" not in d["metadata"]["name"]]
    check(len(agents) == 1, f"{variant}: one agent Deployment")
    for agent in agents:
        pod = agent["spec"]["template"]["spec"]
        sidecars = [c for c in pod.get("initContainers", []) if c["name"] == "giftvec"]
        check(len(sidecars) == 1, f"{variant}: the sidecar is a native sidecar (initContainers)")
        for s in sidecars:
            check(s.get("restartPolicy") == "Always", f"{variant}: sidecar restartPolicy Always")
            check_serving(variant, agent["metadata"]["name"], s, worker=False)
        grace = pod.get("terminationGracePeriodSeconds", 30)
        shutdown = int(env(sidecars[0])["GIFTVEC_SHUTDOWN_GRACE_MS"]["value"]) / 1000 if sidecars else 0
        check(shutdown < grace, f"{variant}: the drain ({shutdown} s) fits the grace period ({grace} s)")
    workers = find(docs, "Deployment", "worker")
    check(len(workers) == 1, f"{variant}: a worker Deployment")
    for w in workers:
        check(w["spec"]["replicas"] >= 1, f"{variant}: worker replicas")
        check_serving(variant, "worker", w["spec"]["template"]["spec"]["containers"][0], worker=True)
    jobs = find(docs, "Job", "migrate")
    check(len(jobs) == 1, f"{variant}: a migration Job")
    for job in jobs:
        hook = job["metadata"]["annotations"]["helm.sh/hook"]
        check("pre-upgrade" in hook, f"{variant}: migrations run before upgrades")
        pod = job["spec"]["template"]["spec"]
        check(pod["initContainers"][0]["args"] == ["migrate"], f"{variant}: the Job migrates first")
        check(pod["containers"][0]["args"][0] == "doctor", f"{variant}: then runs doctor")
    check(len(find(docs, "NetworkPolicy")) == 1, f"{variant}: a NetworkPolicy")
    return agents, workers, jobs


def main(directory):
    rendered = {p.stem: load(p) for p in sorted(Path(directory).glob("*.yaml"))}
    for variant, docs in rendered.items():
        check_variant(variant, docs)

    defaults = rendered["defaults"]
    check(len(find(defaults, "PodDisruptionBudget")) == 2, "defaults: PDBs for workers and agents")
    for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
        check(len(find(defaults, kind)) == 1, f"defaults: a {kind}")
    for rule in find(defaults, "PrometheusRule"):
        alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
        check(alerts == ALERTS, f"defaults: the PrometheusRule's alerts are {sorted(ALERTS)}: {sorted(alerts)}")
    for cm in find(defaults, "ConfigMap", "dashboard"):
        check(json.loads(cm["data"]["giftvec-dashboard.json"])["panels"], "defaults: dashboard JSON")
    for job in find(defaults, "Job", "migrate"):
        check(job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade",
              "external database: migrate before install")

    staging = rendered["staging"]
    clusters = find(staging, "Cluster")
    check(len(clusters) == 1, "staging: a CloudNativePG Cluster")
    for cluster in clusters:
        sql = cluster["spec"]["bootstrap"]["initdb"]["postInitApplicationSQL"]
        check(any("CREATE EXTENSION IF NOT EXISTS vector" in s for s in sql), "staging: pgvector created")
        check(cluster["spec"]["instances"] >= 2, "staging: a replica for DATABASE_READ_URL")
    for agent in find(staging, "Deployment", "agent"):
        sidecar = agent["spec"]["template"]["spec"]["initContainers"][0]
        check("-db-ro:" in env(sidecar)["DATABASE_READ_URL"]["value"], "staging: reads on the -ro service")
    for job in find(staging, "Job", "migrate"):
        check(job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade",
              "cloudnativepg: migrate once the cluster exists")

    for agent in find(rendered["production"], "Deployment", "agent"):
        e = env(agent["spec"]["template"]["spec"]["initContainers"][0])
        check(e["GIFTVEC_EMBEDDER"]["value"] == "openai", "production: OpenAI embedder")
        check("GIFTVEC_EMBED_DAILY_BUDGET_USD" in e, "production: a daily budget")

    for d in find(rendered["mounted-model"], "Deployment"):
        pod = d["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        check("persistentVolumeClaim" in volumes.get("giftvec-model", {}), f"mounted model: volume in {d['metadata']['name']}")
        for c in giftvec_containers(pod):
            mounts = [m for m in c.get("volumeMounts", []) if m["name"] == "giftvec-model"]
            check(len(mounts) == 1 and mounts[0]["readOnly"], f"mounted model: read-only mount in {c['name']}")

    for agent in find(rendered["gift-agent"], "Deployment", "gift-agent"):
        pod = agent["spec"]["template"]["spec"]
        sidecar = pod["initContainers"][0]
        ref = env(sidecar)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        check(ref["name"] == "gift-agent-database", "gift-agent: the agent chart's values reach the sidecar")
        check(agent["spec"]["template"]["metadata"]["labels"].get("giftvec.dev/sidecar") == "true",
              "gift-agent: sidecar pod label")

    if failures:
        print("manifest checks failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"manifest checks passed: {len(rendered)} variants, {sum(len(d) for d in rendered.values())} objects")


if __name__ == "__main__":
    if sys.argv[1] == "--rules":
        rules = find(load(sys.argv[2]), "PrometheusRule")
        print(yaml.safe_dump(rules[0]["spec"], sort_keys=False))
    else:
        main(sys.argv[1])
