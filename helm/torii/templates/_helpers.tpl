{{/* Release-scoped base name: "<release>-torii", or the release name when it already says torii. */}}
{{- define "torii.fullname" -}}
{{- if contains "torii" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-torii" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "torii.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object. Call with (dict "root" $ "component" "tenant"). */}}
{{- define "torii.labels" -}}
helm.sh/chart: {{ include "torii.chart" .root }}
app.kubernetes.io/name: torii
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: torii
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "torii.selectorLabels" -}}
app.kubernetes.io/name: torii
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* "<repository>-<service>:<tag>". Call with (dict "root" $ "component" "tenant"). */}}
{{- define "torii.image" -}}
{{- printf "%s-%s:%s" .root.Values.image.repository .component (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{- define "torii.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "torii.fullname" .)) -}}
{{- end -}}

{{- define "torii.tenantUrl" -}}
{{- printf "http://%s-tenant:3001" (include "torii.fullname" .) -}}
{{- end -}}

{{- define "torii.clamdHosts" -}}
{{- if .Values.clamav.enabled -}}
{{- printf "%s-clamav:3310" (include "torii.fullname" .) -}}
{{- else -}}
{{- required "clamav.externalHosts must list clamd hosts when clamav.enabled is false" (join "," .Values.clamav.externalHosts) -}}
{{- end -}}
{{- end -}}

{{/* One env entry read from the chart's (or the existing) Secret. Call with (dict "root" $ "key" "DATABASE_URL"). */}}
{{- define "torii.secretEnv" -}}
- name: {{ .key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "torii.secretName" .root }}
      key: {{ .key }}
{{- end -}}

{{/* Extra env from services.<name>.env (a map); names are checked against docs/configuration.md by tools/check-helm.js. */}}
{{- define "torii.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Probes on the service's HTTP port: /healthz (startup, liveness), /readyz (readiness). */}}
{{- define "torii.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end -}}

{{/* Pod-level scheduling from a service's values. */}}
{{- define "torii.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Rolls pods when the shared configuration or the chart-made Secret changes. */}}
{{- define "torii.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}
