{{/*
Names and labels of this chart's own objects.
*/}}
{{- define "giftvec.fullname" -}}
{{- printf "%s-giftvec" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "giftvec.labels" -}}
app.kubernetes.io/name: giftvec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: giftvec-{{ .Chart.Version }}
{{- end }}

{{- define "giftvec.selectorLabels" -}}
app.kubernetes.io/name: giftvec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The CloudNativePG cluster's name (the same from this chart and from an agent chart). */}}
{{- define "giftvec.cnpgCluster" -}}
{{- printf "%s-giftvec-db" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end }}

{{/*
giftvec's values: this chart's own, or .Values.giftvec when an agent chart that depends on
giftvec includes one of the templates below (Helm merges giftvec's defaults in there).
*/}}
{{- define "giftvec.values" -}}
{{- if hasKey .Values "giftvec" }}{{ toYaml .Values.giftvec }}{{ else }}{{ toYaml .Values }}{{ end }}
{{- end }}

{{/*
The environment of a giftvec container. Context: dict "root" (the chart context), "v" (giftvec's
values), "worker" (bool: run the embedding worker in this process).
*/}}
{{- define "giftvec.env" -}}
{{- $v := .v -}}
{{- $root := .root -}}
- name: GIFTVEC_LISTEN
  value: {{ $v.sidecar.listen | quote }}
- name: GIFTVEC_SERVE_WORKER
  value: {{ .worker | quote }}
- name: GIFTVEC_LOG
  value: {{ $v.sidecar.logLevel | quote }}
- name: GIFTVEC_LOG_FORMAT
  value: json
- name: GIFTVEC_SHUTDOWN_GRACE_MS
  value: {{ $v.sidecar.shutdownGraceMs | quote }}
- name: GIFTVEC_METRICS_SAMPLE_SECS
  value: {{ if .worker }}{{ $v.worker.metricsSampleSecs | quote }}{{ else }}{{ $v.sidecar.metricsSampleSecs | quote }}{{ end }}
{{- if eq $v.database.mode "cloudnativepg" }}
{{- $cluster := include "giftvec.cnpgCluster" $root }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $cluster }}-app, key: uri}
{{- if $v.database.cloudnativepg.readReplicas }}
- name: GIFTVEC_DB_USER
  valueFrom:
    secretKeyRef: {name: {{ $cluster }}-app, key: username}
- name: GIFTVEC_DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $cluster }}-app, key: password}
- name: DATABASE_READ_URL
  value: "postgresql://$(GIFTVEC_DB_USER):$(GIFTVEC_DB_PASSWORD)@{{ $cluster }}-ro:5432/app"
{{- end }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $v.database.existingSecret }}, key: {{ $v.database.urlKey }}}
- name: DATABASE_READ_URL
  valueFrom:
    secretKeyRef: {name: {{ $v.database.existingSecret }}, key: {{ $v.database.readUrlKey }}, optional: true}
{{- if or .migrate $v.database.directUrlOnSidecars }}
- name: DATABASE_DIRECT_URL
  valueFrom:
    secretKeyRef: {name: {{ $v.database.existingSecret }}, key: {{ $v.database.directUrlKey }}, optional: true}
{{- end }}
- name: GIFTVEC_DB_POOLER
  value: {{ $v.database.pooler | quote }}
{{- end }}
- name: GIFTVEC_DB_MAX_CONNECTIONS
  value: {{ $v.database.pools.maxConnections | quote }}
- name: GIFTVEC_DB_HEAVY_CONNECTIONS
  value: {{ $v.database.pools.heavyConnections | quote }}
- name: GIFTVEC_DB_ACQUIRE_TIMEOUT_MS
  value: {{ $v.database.pools.acquireTimeoutMs | quote }}
- name: GIFTVEC_DB_STATEMENT_TIMEOUT_MS
  value: {{ $v.database.pools.statementTimeoutMs | quote }}
- name: GIFTVEC_HNSW_EF_SEARCH
  value: {{ $v.search.hnswEfSearch | quote }}
- name: GIFTVEC_HNSW_M
  value: {{ $v.hnsw.m | quote }}
- name: GIFTVEC_HNSW_EF_CONSTRUCTION
  value: {{ $v.hnsw.efConstruction | quote }}
- name: GIFTVEC_EMBEDDER
  value: {{ $v.embedder.provider | quote }}
- name: GIFTVEC_MODEL_DIR
  value: {{ $v.embedder.model.mountPath | quote }}
{{- if eq $v.embedder.provider "openai" }}
- name: GIFTVEC_OPENAI_MODEL
  value: {{ $v.embedder.openai.model | quote }}
{{- with $v.embedder.openai.dimensions }}
- name: GIFTVEC_OPENAI_DIMENSIONS
  value: {{ . | quote }}
{{- end }}
{{- with $v.embedder.openai.baseUrl }}
- name: GIFTVEC_OPENAI_BASE_URL
  value: {{ . | quote }}
{{- end }}
{{- with $v.embedder.openai.dailyBudgetUsd }}
- name: GIFTVEC_EMBED_DAILY_BUDGET_USD
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef: {name: {{ $v.secrets.existingSecret }}, key: {{ $v.secrets.openaiApiKeyKey }}, optional: true}
{{- /* Beyond the pod's loopback the token is required: giftvec refuses to start without it. */}}
{{- $loopback := or (hasPrefix "127." $v.sidecar.listen) (hasPrefix "[::1]:" $v.sidecar.listen) (hasPrefix "localhost:" $v.sidecar.listen) }}
{{- $open := or $loopback $v.sidecar.allowUnauthenticated }}
{{- if and (not $open) (not $v.secrets.existingSecret) }}
{{- fail (printf "sidecar.listen %s reaches beyond the pod: set secrets.existingSecret to a Secret holding %s (the bearer token), or listen on 127.0.0.1" $v.sidecar.listen $v.secrets.authTokenKey) }}
{{- end }}
- name: GIFTVEC_AUTH_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ $v.secrets.existingSecret }}, key: {{ $v.secrets.authTokenKey }}, optional: {{ $open }}}
- name: GIFTVEC_OPS_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ $v.secrets.existingSecret }}, key: {{ $v.secrets.opsTokenKey }}, optional: true}
- name: GIFTVEC_WIDGET_KEY
  valueFrom:
    secretKeyRef: {name: {{ $v.secrets.existingSecret }}, key: {{ $v.secrets.widgetKeyKey }}, optional: true}
{{- with $v.sidecar.rateLimits }}
- name: GIFTVEC_AGENT_CALLS_PER_SEC
  value: {{ .agentCallsPerSec | quote }}
- name: GIFTVEC_OPS_CALLS_PER_SEC
  value: {{ .opsCallsPerSec | quote }}
- name: GIFTVEC_WIDGET_CALLS_PER_SEC
  value: {{ .widgetCallsPerSec | quote }}
{{- end }}
- name: GIFTVEC_TRUSTED_PROXY_HOPS
  value: {{ $v.sidecar.trustedProxyHops | quote }}
{{- if $v.sidecar.allowUnauthenticated }}
- name: GIFTVEC_ALLOW_UNAUTHENTICATED
  value: "true"
{{- end }}
{{- with $v.sidecar.allowedHosts }}
- name: GIFTVEC_ALLOWED_HOSTS
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.sidecar.allowedOrigins }}
- name: GIFTVEC_ALLOWED_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.sidecar.widgetOrigins }}
- name: GIFTVEC_WIDGET_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
- name: GIFTVEC_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ $v.secrets.existingSecret }}, key: {{ $v.secrets.redisUrlKey }}, optional: true}
{{- end }}

{{/* Probes on /healthz (the process) and /readyz (database, schema, embedder). */}}
{{- define "giftvec.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: giftvec}
  periodSeconds: {{ .sidecar.probes.startup.periodSeconds }}
  failureThreshold: {{ .sidecar.probes.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /healthz, port: giftvec}
  periodSeconds: {{ .sidecar.probes.liveness.periodSeconds }}
  failureThreshold: {{ .sidecar.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /readyz, port: giftvec}
  periodSeconds: {{ .sidecar.probes.readiness.periodSeconds }}
  failureThreshold: {{ .sidecar.probes.readiness.failureThreshold }}
{{- end }}

{{/*
The giftvec sidecar container, for an agent pod:

    initContainers:
      {{- include "giftvec.sidecar" . | nindent 6 }}

(under `containers:` instead when sidecar.native is false). With a mounted model
(embedder.model.baked false) also add {{ include "giftvec.volumes" . }} to the pod's volumes.
*/}}
{{- define "giftvec.sidecar" -}}
{{- $v := include "giftvec.values" . | fromYaml -}}
- name: giftvec
  image: {{ printf "%s:%s" $v.image.repository $v.image.tag | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if $v.sidecar.native }}
  restartPolicy: Always
  {{- end }}
  args: ["serve"]
  env:
    {{- include "giftvec.env" (dict "v" $v "root" . "worker" false) | nindent 4 }}
    {{- with $v.sidecar.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: giftvec
      containerPort: {{ $v.sidecar.port }}
      protocol: TCP
  {{- include "giftvec.probes" $v | nindent 2 }}
  resources:
    {{- toYaml $v.sidecar.resources | nindent 4 }}
  securityContext:
    {{- toYaml $v.containerSecurityContext | nindent 4 }}
  {{- if not $v.embedder.model.baked }}
  volumeMounts:
    - name: giftvec-model
      mountPath: {{ $v.embedder.model.mountPath }}
      readOnly: true
  {{- end }}
{{- end }}

{{/* The model volume, when the model is mounted rather than baked into the image. */}}
{{- define "giftvec.volumes" -}}
{{- $v := include "giftvec.values" . | fromYaml -}}
{{- if not $v.embedder.model.baked }}
- name: giftvec-model
  {{- toYaml $v.embedder.model.volume | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod labels an agent adds so that the PodMonitor finds its sidecar. */}}
{{- define "giftvec.sidecarPodLabels" -}}
giftvec.dev/sidecar: "true"
{{- end }}
