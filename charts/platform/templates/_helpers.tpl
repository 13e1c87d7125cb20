{{/*
Names and labels shared by every template. Cluster-scoped objects (ClusterRoles, the admission
policy) carry the fullname, so two releases never collide.
*/}}

{{/* The chart name, 63 characters at most. */}}
{{- define "platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's resource-name prefix: the release name if it already contains the chart name,
else <release>-<chart>; 63 characters at most (DNS label). Suffixes added by templates are short,
so names built on it are truncated to 63 again where they are used.
*/}}
{{- define "platform.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<suffix>, truncated to a DNS label. Call with (list . "suffix"). */}}
{{- define "platform.suffixed" -}}
{{- $full := include "platform.fullname" (index . 0) }}
{{- $suffix := index . 1 }}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{- define "platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels (STYLE.md); templates add app.kubernetes.io/component. */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ include "platform.chart" . }}
{{ include "platform.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: store-platform
{{- end }}

{{/* Selectors use only name and instance. */}}
{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The orchestrator's ServiceAccount: the identity every RBAC rule and the admission policy name. */}}
{{- define "platform.serviceAccountName" -}}
{{- include "platform.suffixed" (list . "orchestrator") }}
{{- end }}

{{/* The user name the API server gives the ServiceAccount's tokens. */}}
{{- define "platform.serviceAccountUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "platform.serviceAccountName" .) }}
{{- end }}

{{/* The ClusterRole of namespaced verbs bound inside each store namespace. */}}
{{- define "platform.storeRoleName" -}}
{{- include "platform.suffixed" (list . "store") }}
{{- end }}

{{- define "platform.leaseName" -}}
{{- default (include "platform.suffixed" (list . "leader")) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "platform.tokensSecretName" -}}
{{- default (include "platform.suffixed" (list . "tokens")) .Values.auth.existingSecret }}
{{- end }}

{{/* The label every namespace the platform manages carries (fixed: the orchestrator sets it). */}}
{{- define "platform.managedByKey" -}}app.kubernetes.io/managed-by{{- end }}
{{- define "platform.managedByValue" -}}store-platform{{- end }}

{{/*
The Store CRD's API group: storeApiGroup if set, else read from crds/stores.yaml so RBAC always
names the group the CRD really has.
*/}}
{{- define "platform.storeApiGroup" -}}
{{- $crd := .Files.Get "crds/stores.yaml" | fromYaml }}
{{- $group := .Values.storeApiGroup | default (dig "spec" "group" "" $crd) }}
{{- required "the Store CRD's group is unknown: add crds/stores.yaml or set storeApiGroup" $group }}
{{- end }}

{{- define "platform.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
