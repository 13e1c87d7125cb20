{{/*
The orchestrator's command line: the one place its flag names appear, so renaming a flag is a
one-line change here. scripts/dev-credentials.sh writes the identity flags (--service-account,
--store-role, --leader-elect-*) for a native run from the same release.
*/}}
{{- define "platform.args" -}}
- --listen=:{{ .Values.containerPort }}
- --base-domain={{ .Values.config.baseDomain }}
- --ingress-class={{ .Values.config.ingressClass }}
- --ingress-tls={{ .Values.config.ingressTls }}
{{- with .Values.config.clusterIssuer }}
- --cluster-issuer={{ . }}
{{- end }}
{{- with .Values.config.storageClass }}
- --storage-class={{ . }}
{{- end }}
- --chart-dir={{ .Values.config.chartDir }}
- --engines-file={{ .Values.config.enginesFile }}
- --tokens-file=/etc/store-platform/tokens/{{ .Values.auth.existingSecretKey }}
- --store-values-file=/etc/store-platform/store-values/values.yaml
- --service-account={{ .Release.Namespace }}/{{ include "platform.serviceAccountName" . }}
- --store-role={{ include "platform.storeRoleName" . }}
- --leader-elect={{ .Values.leaderElection.enabled }}
- --leader-elect-namespace={{ .Release.Namespace }}
- --leader-elect-lease={{ include "platform.leaseName" . }}
- --workers={{ .Values.config.workers }}
- --provision-timeout={{ .Values.config.provisionTimeout }}
- --max-provisioning={{ .Values.config.maxProvisioning }}
- --max-stores-per-user={{ .Values.config.maxStoresPerUser }}
- --storefront-check={{ .Values.config.storefrontCheck }}
- --health-interval={{ .Values.config.healthInterval }}
- --health-restarts={{ .Values.config.healthRestarts }}
- --health-window={{ .Values.config.healthWindow }}
- --drift-interval={{ .Values.config.driftInterval }}
- --drift-repairs={{ .Values.config.driftRepairs }}
- --log-level={{ .Values.config.logLevel }}
{{- range .Values.config.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
