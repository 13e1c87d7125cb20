{{/*
Names and labels, as in charts/store. Releases are named store-<storeName> and the
full name is the release name (the chart's name would only repeat "medusa").
*/}}
{{- define "medusa.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "medusa.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of a component's objects: <fullname>-<component>, within 63 characters. */}}
{{- define "medusa.componentName" -}}
{{- $full := include "medusa.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-" }}
{{- printf "%s-%s" $full .component }}
{{- end }}

{{- define "medusa.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "medusa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "medusa.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "medusa.labels" -}}
helm.sh/chart: {{ include "medusa.chart" . }}
{{ include "medusa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: store-platform
{{- with .Values.storeName }}
storeplatform.dev/store: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Labels of one component: include "medusa.componentLabels" (dict "root" $ "component" "shop") */}}
{{- define "medusa.componentLabels" -}}
{{ include "medusa.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector of one component: name, instance and component only. */}}
{{- define "medusa.componentSelector" -}}
{{ include "medusa.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "medusa.serverName" -}}{{ include "medusa.componentName" (dict "root" . "component" "medusa") }}{{- end }}
{{- define "medusa.dbName" -}}{{ include "medusa.componentName" (dict "root" . "component" "postgresql") }}{{- end }}
{{- define "medusa.tlsSecretName" -}}{{ include "medusa.componentName" (dict "root" . "component" "tls") }}{{- end }}

{{/* The store's public URL. */}}
{{- define "medusa.url" -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls) .Values.host }}
{{- end }}

{{- define "medusa.title" -}}
{{- default .Values.storeName .Values.title }}
{{- end }}

{{- define "medusa.serverImage" -}}
{{- printf "%s:%s" .Values.medusa.image.repository .Values.medusa.image.tag }}
{{- end }}

{{- define "medusa.databaseImage" -}}
{{- printf "%s:%s" .Values.database.image.repository .Values.database.image.tag }}
{{- end }}

{{/*
Security contexts that pass PodSecurity "restricted": non-root, no privilege
escalation, every capability dropped, RuntimeDefault seccomp, read-only root
(each pod mounts emptyDirs where its image writes).
*/}}
{{- define "medusa.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "medusa.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Where every pod of the store may run: scheduling.nodeSelector and scheduling.tolerations. */}}
{{- define "medusa.scheduling" -}}
{{- with .Values.scheduling.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.scheduling.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A value from the credentials Secret: include "medusa.secretEnv" (dict "root" $ "name" "ENV" "key" "secret-key") */}}
{{- define "medusa.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.existingSecret }}
      key: {{ .key }}
{{- end }}

{{/*
Environment of every container that runs Medusa (server, setup): what
engines/medusa/app/medusa-config.ts reads. DATABASE_URL is composed by the
kubelet from the password variable before it ($(VAR) expansion), so the
password is never in a value or the pod spec; the Secret's random values are
letters and digits, safe in a URL.
*/}}
{{- define "medusa.serverEnv" -}}
{{ include "medusa.secretEnv" (dict "root" . "name" "POSTGRES_PASSWORD" "key" "postgres-password") }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(POSTGRES_PASSWORD)@%s:5432/%s?sslmode=disable" .Values.database.user (include "medusa.dbName" .) .Values.database.name | quote }}
{{ include "medusa.secretEnv" (dict "root" . "name" "JWT_SECRET" "key" "jwt-secret") }}
{{ include "medusa.secretEnv" (dict "root" . "name" "COOKIE_SECRET" "key" "cookie-secret") }}
- name: STORE_CORS
  value: {{ include "medusa.url" . | quote }}
- name: ADMIN_CORS
  value: {{ include "medusa.url" . | quote }}
- name: AUTH_CORS
  value: {{ include "medusa.url" . | quote }}
- name: MEDUSA_WORKER_MODE
  value: shared
- name: MEDUSA_DISABLE_TELEMETRY
  value: "true"
{{- end }}

{{/* Node.js's heap at three quarters of a memory limit: NODE_OPTIONS of a container with that limit. */}}
{{- define "medusa.nodeOptions" -}}
- name: NODE_OPTIONS
  value: {{ printf "--max-old-space-size=%d" (div (mul (include "medusa.memKi" . | int) 3) 4096) | quote }}
{{- end }}

{{/*
Quota arithmetic, as in charts/store. CPU in millicores, memory in Ki; the
schema admits only the units these understand (m or whole/decimal cores; Ki,
Mi, Gi, Ti).
*/}}
{{- define "medusa.cpuMillis" -}}
{{- $v := toString . -}}
{{- if hasSuffix "m" $v -}}
{{- trimSuffix "m" $v | int -}}
{{- else -}}
{{- mulf (float64 $v) 1000 | int -}}
{{- end -}}
{{- end }}

{{- define "medusa.memKi" -}}
{{- $v := toString . -}}
{{- $units := dict "Ki" 1 "Mi" 1024 "Gi" 1048576 "Ti" 1073741824 -}}
{{- $n := regexReplaceAll "[A-Za-z]+$" $v "" | int -}}
{{- $u := regexFind "[A-Za-z]+$" $v -}}
{{- if not (hasKey $units $u) -}}
{{- fail (printf "memory/storage quantity %q: use Ki, Mi, Gi or Ti" $v) -}}
{{- end -}}
{{- mul $n (get $units $u) -}}
{{- end }}

{{/* Sum over the plan's pods: include "medusa.planSum" (dict "root" $ "field" "requests" "resource" "cpu") */}}
{{- define "medusa.planSum" -}}
{{- $sum := 0 -}}
{{- range $part := list "shop" "database" "setup" "test" -}}
{{- $r := index $.root.Values.plan $part "resources" $.field $.resource -}}
{{- if eq $.resource "cpu" -}}
{{- $sum = add $sum (include "medusa.cpuMillis" $r | int) -}}
{{- else -}}
{{- $sum = add $sum (include "medusa.memKi" $r | int) -}}
{{- end -}}
{{- end -}}
{{- if eq .resource "cpu" -}}
{{- printf "%dm" $sum -}}
{{- else -}}
{{- include "medusa.kiString" $sum -}}
{{- end -}}
{{- end }}

{{/* A number of Ki as a quantity, in Mi when it is whole Mi. */}}
{{- define "medusa.kiString" -}}
{{- if eq (mod (int .) 1024) 0 -}}
{{- printf "%dMi" (div (int .) 1024) -}}
{{- else -}}
{{- printf "%dKi" (int .) -}}
{{- end -}}
{{- end }}
