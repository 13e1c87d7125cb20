{{/*
Pieces shared by the pods that run the WordPress image (shop, setup Job).
*/}}

{{/* Init container that downloads WooCommerce when the image is the official one. */}}
{{- define "store.fetchInitContainer" -}}
- name: fetch
  image: {{ include "store.wordpressImage" .root | quote }}
  imagePullPolicy: {{ .root.Values.wordpress.image.pullPolicy }}
  command:
    - bash
    - /opt/scripts/fetch.sh
    - woocommerce
    - /opt/plugins
  env:
    - name: WOOCOMMERCE_VERSION
      value: {{ .root.Values.wordpress.downloads.woocommerceVersion | quote }}
    - name: WOOCOMMERCE_SHA256
      value: {{ .root.Values.wordpress.downloads.woocommerceSha256 | quote }}
  securityContext:
    {{- include "store.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .root.Values.plan.setup.resources | nindent 4 }}
  volumeMounts:
    - name: scripts
      mountPath: /opt/scripts
      readOnly: true
    - name: plugins
      mountPath: /opt/plugins
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* Mount of the downloaded WooCommerce into WordPress (official image only). */}}
{{- define "store.pluginMount" -}}
{{- if not .Values.wordpress.bundled }}
- name: plugins
  mountPath: /var/www/html/wp-content/plugins/woocommerce
  subPath: woocommerce
{{- end }}
{{- end }}
