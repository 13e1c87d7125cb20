{{/*
Names and labels, as `helm create` lays them out. Releases are named
store-<storeName>, so the full name is normally just the release name.
*/}}
{{- define "store.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "store.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Name of a component's objects: <fullname>-<component>, within 63 characters. */}}
{{- define "store.componentName" -}}
{{- $full := include "store.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-" }}
{{- printf "%s-%s" $full .component }}
{{- end }}

{{- define "store.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "store.selectorLabels" -}}
app.kubernetes.io/name: {{ include "store.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "store.labels" -}}
helm.sh/chart: {{ include "store.chart" . }}
{{ include "store.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: store-platform
{{- with .Values.storeName }}
storeplatform.dev/store: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Labels of one component: include "store.componentLabels" (dict "root" $ "component" "shop") */}}
{{- define "store.componentLabels" -}}
{{ include "store.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector of one component: name, instance and component only. */}}
{{- define "store.componentSelector" -}}
{{ include "store.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "store.shopName" -}}{{ include "store.componentName" (dict "root" . "component" "wordpress") }}{{- end }}
{{- define "store.dbName" -}}{{ include "store.componentName" (dict "root" . "component" "mariadb") }}{{- end }}
{{- define "store.scriptsName" -}}{{ include "store.componentName" (dict "root" . "component" "scripts") }}{{- end }}
{{- define "store.apacheName" -}}{{ include "store.componentName" (dict "root" . "component" "apache") }}{{- end }}
{{- define "store.tlsSecretName" -}}{{ include "store.componentName" (dict "root" . "component" "tls") }}{{- end }}

{{/* The shop's public URL. */}}
{{- define "store.url" -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls) .Values.host }}
{{- end }}

{{- define "store.title" -}}
{{- default .Values.storeName .Values.title }}
{{- end }}

{{- define "store.wordpressImage" -}}
{{- printf "%s:%s" .Values.wordpress.image.repository .Values.wordpress.image.tag }}
{{- end }}

{{- define "store.databaseImage" -}}
{{- printf "%s:%s" .Values.database.image.repository .Values.database.image.tag }}
{{- end }}

{{/*
Security contexts that pass PodSecurity "restricted": non-root, no privilege
escalation, every capability dropped, RuntimeDefault seccomp, read-only root
(each pod mounts emptyDirs where its image writes).
*/}}
{{- define "store.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "store.containerSecurityContext" -}}
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
{{- define "store.scheduling" -}}
{{- with .Values.scheduling.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.scheduling.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A value from the credentials Secret: include "store.secretEnv" (dict "root" $ "name" "ENV" "key" "secret-key") */}}
{{- define "store.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.existingSecret }}
      key: {{ .key }}
{{- end }}

{{/*
Environment of every container that runs WordPress (shop, setup): the official
image's wp-config-docker.php reads these WORDPRESS_* variables.
*/}}
{{- define "store.wordpressEnv" -}}
- name: WORDPRESS_DB_HOST
  value: {{ printf "%s:3306" (include "store.dbName" .) | quote }}
- name: WORDPRESS_DB_NAME
  value: {{ .Values.database.name | quote }}
- name: WORDPRESS_DB_USER
  value: {{ .Values.database.user | quote }}
{{ include "store.secretEnv" (dict "root" . "name" "WORDPRESS_DB_PASSWORD" "key" "mariadb-password") }}
{{- range list "auth-key" "secure-auth-key" "logged-in-key" "nonce-key" "auth-salt" "secure-auth-salt" "logged-in-salt" "nonce-salt" }}
{{ include "store.secretEnv" (dict "root" $ "name" (printf "WORDPRESS_%s" (. | upper | replace "-" "_")) "key" .) }}
{{- end }}
- name: WORDPRESS_TABLE_PREFIX
  value: {{ .Values.wordpress.tablePrefix | quote }}
- name: WORDPRESS_DEBUG
  value: {{ ternary "1" "" .Values.wordpress.debug | quote }}
- name: WORDPRESS_CONFIG_EXTRA
  value: |
    define('WP_HOME', '{{ include "store.url" . }}');
    define('WP_SITEURL', '{{ include "store.url" . }}');
    define('WP_ENVIRONMENT_TYPE', '{{ .Values.wordpress.environmentType }}');
    define('AUTOMATIC_UPDATER_DISABLED', true);
    define('DISALLOW_FILE_MODS', true);
    {{- with .Values.wordpress.configExtra }}
    {{- nindent 4 . }}
    {{- end }}
{{- end }}

{{/*
Quota arithmetic. CPU in millicores, memory in Ki; the schema admits only
the units these understand (m or whole/decimal cores; Ki, Mi, Gi, Ti).
*/}}
{{- define "store.cpuMillis" -}}
{{- $v := toString . -}}
{{- if hasSuffix "m" $v -}}
{{- trimSuffix "m" $v | int -}}
{{- else -}}
{{- mulf (float64 $v) 1000 | int -}}
{{- end -}}
{{- end }}

{{- define "store.memKi" -}}
{{- $v := toString . -}}
{{- $units := dict "Ki" 1 "Mi" 1024 "Gi" 1048576 "Ti" 1073741824 -}}
{{- $n := regexReplaceAll "[A-Za-z]+$" $v "" | int -}}
{{- $u := regexFind "[A-Za-z]+$" $v -}}
{{- if not (hasKey $units $u) -}}
{{- fail (printf "memory/storage quantity %q: use Ki, Mi, Gi or Ti" $v) -}}
{{- end -}}
{{- mul $n (get $units $u) -}}
{{- end }}

{{/* Sum over the plan's pods: include "store.planSum" (dict "root" $ "field" "requests" "resource" "cpu") */}}
{{- define "store.planSum" -}}
{{- $sum := 0 -}}
{{- range $part := list "shop" "database" "setup" "test" -}}
{{- $r := index $.root.Values.plan $part "resources" $.field $.resource -}}
{{- if eq $.resource "cpu" -}}
{{- $sum = add $sum (include "store.cpuMillis" $r | int) -}}
{{- else -}}
{{- $sum = add $sum (include "store.memKi" $r | int) -}}
{{- end -}}
{{- end -}}
{{- if eq .resource "cpu" -}}
{{- printf "%dm" $sum -}}
{{- else -}}
{{- include "store.kiString" $sum -}}
{{- end -}}
{{- end }}

{{/* A number of Ki as a quantity, in Mi when it is whole Mi. */}}
{{- define "store.kiString" -}}
{{- if eq (mod (int .) 1024) 0 -}}
{{- printf "%dMi" (div (int .) 1024) -}}
{{- else -}}
{{- printf "%dKi" (int .) -}}
{{- end -}}
{{- end }}
