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
{{- with .Values.auth.people }}
{{- if .issuer }}
- name: GATEWAY_OIDC_ISSUER
  value: {{ .issuer | quote }}
- name: GATEWAY_OIDC_JWKS_URL
  value: {{ required "auth.people.jwksUrl is required with auth.people.issuer" .jwksUrl | quote }}
- name: GATEWAY_OIDC_CLIENT_ID
  value: {{ required "auth.people.clientId is required with auth.people.issuer" .clientId | quote }}
- name: GATEWAY_OIDC_AUDIENCE
  value: {{ .audience | quote }}
- name: GATEWAY_OIDC_SCOPE
  value: {{ .scope | quote }}
{{- if .resource }}
- name: GATEWAY_OIDC_RESOURCE
  value: {{ .resource | quote }}
{{- end }}
{{- end }}
{{- end }}
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

{{/* This cell's identity: the URI SAN its certificate carries and peers accept it by. */}}
{{- define "gateway.cellIdentity" -}}
spiffe://residency-gateway/cell/{{ .Values.region }}
{{- end -}}

{{/*
GATEWAY_PEERS: the other regions' cells, as the gateway reads them (id, jurisdiction,
gatewayUrl, placementWeight) and nothing else. Refuses a peer naming this cell's own region, a
url that is not https on the peer port, and a peer without a cidr for the NetworkPolicy.
*/}}
{{- define "gateway.peers" -}}
{{- $peers := list -}}
{{- $suffix := printf ":%v" .Values.cell.peerPort -}}
{{- range .Values.cell.peers -}}
{{- $region := required "cell.peers[].region is required" .region -}}
{{- if eq $region $.Values.region -}}
{{- fail (printf "cell.peers names %s, this cell's own region: a cell is never its own peer" $region) -}}
{{- end -}}
{{- $url := required (printf "cell.peers[%s].url is required" $region) .url -}}
{{- $parsed := urlParse $url -}}
{{- if or (ne $parsed.scheme "https") (not (hasSuffix $suffix $parsed.host)) -}}
{{- fail (printf "cell.peers[%s].url must be https://<host>%s (the peer port), not %s" $region $suffix $url) -}}
{{- end -}}
{{- $_ := required (printf "cell.peers[%s].cidr is required (the NetworkPolicy)" $region) .cidr -}}
{{- $peer := dict "id" $region "jurisdiction" (required (printf "cell.peers[%s].jurisdiction is required" $region) .jurisdiction) "gatewayUrl" $url -}}
{{- if hasKey . "placementWeight" -}}
{{- $_ := set $peer "placementWeight" .placementWeight -}}
{{- end -}}
{{- $peers = append $peers $peer -}}
{{- end -}}
{{- toJson $peers -}}
{{- end -}}

{{/* The cell's environment (only with peers): who its peers are and its mTLS material. */}}
{{- define "gateway.cellEnv" -}}
- name: GATEWAY_PEERS
  value: {{ include "gateway.peers" . | quote }}
- name: GATEWAY_PEER_PORT
  value: {{ .Values.cell.peerPort | quote }}
- name: GATEWAY_PEER_TIMEOUT_MS
  value: {{ .Values.cell.peerTimeoutMs | quote }}
- name: GATEWAY_CELL_CERT_FILE
  value: /etc/residency/cell/tls.crt
- name: GATEWAY_CELL_KEY_FILE
  value: /etc/residency/cell/tls.key
- name: GATEWAY_CELL_CA_FILE
  value: /etc/residency/cell/ca.crt
{{- end -}}

{{- define "gateway.cellVolumeMounts" -}}
- name: cell-tls
  mountPath: /etc/residency/cell
  readOnly: true
{{- end -}}

{{- define "gateway.cellVolumes" -}}
- name: cell-tls
  secret:
    secretName: {{ required "cell.certificateSecretName is required when cell.peers is set" .Values.cell.certificateSecretName }}
    defaultMode: 0440
{{- end -}}
