{{- define "gateway.name" -}}residency-gateway{{- end -}}

{{- define "gateway.labels" -}}
app.kubernetes.io/name: residency-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
residency/region: {{ .Values.region }}
residency/jurisdiction: {{ .Values.jurisdiction }}
{{- end -}}

{{- define "gateway.selector" -}}
app.kubernetes.io/name: residency-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gateway.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* Environment and mounts shared by the gateway and the migration job. */}}
{{- define "gateway.env" -}}
- name: GATEWAY_TOPOLOGY_FILE
  value: /etc/residency/topology/topology.json
- name: GATEWAY_JWKS_FILE
  value: /etc/residency/jwks/jwks.json
- name: GATEWAY_JWT_AUDIENCE
  value: {{ .Values.auth.audience | quote }}
- name: GATEWAY_JWT_ISSUER
  value: {{ required "auth.issuer is required: the iss of your token issuer" .Values.auth.issuer | quote }}
- name: GATEWAY_JWT_MAX_LIFETIME_SECONDS
  value: {{ .Values.auth.maxLifetimeSeconds | quote }}
- name: GATEWAY_JWT_MAX_ROLES
  value: {{ .Values.auth.maxRoles | quote }}
- name: GATEWAY_RATE_LIMIT_WINDOW_SECONDS
  value: {{ .Values.rateLimit.windowSeconds | quote }}
{{- if .Values.rateLimit.roles }}
- name: GATEWAY_RATE_LIMIT_ROLES
  value: {{ .Values.rateLimit.roles | quote }}
{{- end }}
- name: GATEWAY_RATE_LIMIT_OTHER_ROLES
  value: {{ .Values.rateLimit.otherRoles | quote }}
- name: GATEWAY_RATE_LIMIT_ANONYMOUS
  value: {{ .Values.rateLimit.anonymous | quote }}
- name: GATEWAY_POLICY_BUNDLE
  value: {{ .Values.policy.bundlePath | quote }}
- name: GATEWAY_POLICY_PUBLIC_KEY_FILE
  value: /etc/residency/policy/public.pem
- name: GATEWAY_AUDIT_SIGNING_KEY_FILE
  value: /etc/residency/audit/key.pem
- name: GATEWAY_AUDIT_INTEGRATION_MS
  value: {{ .Values.audit.integrationMs | quote }}
- name: GATEWAY_SHUTDOWN_DRAIN_MS
  value: {{ mul .Values.shutdown.drainSeconds 1000 | quote }}
{{- if .Values.audit.checkpointSink }}
- name: GATEWAY_AUDIT_CHECKPOINT_SINK
  value: {{ .Values.audit.checkpointSink | quote }}
- name: GATEWAY_AUDIT_SINK_S3_REGION
  value: {{ .Values.region | quote }}
{{- end }}
{{- if .Values.audit.witnesses }}
- name: GATEWAY_AUDIT_WITNESSES
  value: {{ join "," .Values.audit.witnesses | quote }}
{{- end }}
- name: GATEWAY_CURSOR_SECRET_FILE
  value: /etc/residency/cursor/secret
- name: GATEWAY_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: AWS_REGION
  value: {{ .Values.region | quote }}
{{- end -}}

{{- define "gateway.volumeMounts" -}}
- name: topology
  mountPath: /etc/residency/topology
  readOnly: true
- name: jwks
  mountPath: /etc/residency/jwks
  readOnly: true
- name: policy-key
  mountPath: /etc/residency/policy
  readOnly: true
- name: audit-key
  mountPath: /etc/residency/audit
  readOnly: true
- name: cursor
  mountPath: /etc/residency/cursor
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "gateway.volumes" -}}
- name: topology
  secret:
    secretName: {{ .Values.topologySecretName }}
- name: jwks
  secret:
    secretName: {{ .Values.auth.jwksSecretName }}
- name: policy-key
  secret:
    secretName: {{ .Values.policy.publicKeySecretName }}
- name: audit-key
  secret:
    secretName: {{ .Values.audit.signingKeySecretName }}
- name: cursor
  secret:
    secretName: {{ .Values.cursorSecretName }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "gateway.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "gateway.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}
