{{/* Names and labels. */}}
{{- define "cxloop.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cxloop.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cxloop.labels" -}}
{{ include "cxloop.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "cxloop.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/*
Settings whose values are secrets: they may come only from existing Secrets, never from `config`
(values files end up in version control and in the release's history).
*/}}
{{- define "cxloop.secretSettings" -}}
CXLOOP_DATABASE_URL DATABASE_URL CXLOOP_REDIS_URL REDIS_URL CXLOOP_API_KEYS CXLOOP_SECRET_KEY CXLOOP_SMTP_PASSWORD CXLOOP_SLACK_TOKEN
{{- end -}}

{{/* The environment of every cxloop container; .extra holds the component's own settings. */}}
{{- define "cxloop.env" -}}
{{- $root := .root -}}
{{- range $name := splitList " " (include "cxloop.secretSettings" $root) }}
{{- if hasKey $root.Values.config $name }}
{{- fail (printf "config.%s is a secret: put it in the Secret named by secrets.existingSecret (or secrets.env), not in values" $name) }}
{{- end }}
{{- end }}
{{- range $name, $_ := $root.Values.config }}
{{- if hasPrefix "CXLOOP_SLACK_WEBHOOK" $name }}
{{- fail (printf "config.%s is a secret (a webhook URL): put it in the Secret named by secrets.existingSecret (or secrets.env), not in values" $name) }}
{{- end }}
{{- end }}
envFrom:
  - secretRef:
      name: {{ required "secrets.existingSecret: the name of an existing Secret with CXLOOP_DATABASE_URL, CXLOOP_REDIS_URL, CXLOOP_API_KEYS and CXLOOP_SECRET_KEY" $root.Values.secrets.existingSecret }}
{{- if or $root.Values.config .extra $root.Values.secrets.env }}
env:
{{- end }}
{{- range $name, $value := $root.Values.config }}
{{- if not (hasKey $.extra $name) }}
  - name: {{ $name }}
    value: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := .extra }}
  - name: {{ $name }}
    value: {{ $value | toString | quote }}
{{- end }}
{{- range $root.Values.secrets.env }}
  - name: {{ required "secrets.env[].name" .name }}
    valueFrom:
      secretKeyRef:
        name: {{ required "secrets.env[].secretName" .secretName }}
        key: {{ required "secrets.env[].key" .key }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every cxloop pod. */}}
{{- define "cxloop.podSpec" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Writable scratch space (the root filesystem is read-only) and the configuration files. */}}
{{- define "cxloop.volumes" -}}
volumes:
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
{{- with .Values.configFiles.existingConfigMap }}
  - name: config
    configMap:
      name: {{ . }}
{{- end }}
{{- end -}}

{{- define "cxloop.volumeMounts" -}}
volumeMounts:
  - name: data
    mountPath: /var/lib/cxloop
  - name: tmp
    mountPath: /tmp
{{- if .Values.configFiles.existingConfigMap }}
  - name: config
    mountPath: /etc/cxloop
    readOnly: true
{{- end }}
{{- end -}}

{{/* The worker probe: ping this pod's Celery worker (`SERVICE@<pod name>`) over the broker. */}}
{{- define "cxloop.workerPing" -}}
exec:
  command: ["python", "/usr/local/lib/cxloop/healthcheck.py", "worker", {{ . | quote }}]
{{- end -}}
