# The parent-portal assistant as one image: the Rasa server (the default command), the action server, the
# help desk and the migrations all run from it (deploy/compose.yml, deploy/helm/, deploy/k8s/; docs/deploy.md).
#   docker build -t parent-portal/assistant:1.0.0 .
# The model is trained inside the build from data/, domain.yml and config.yml, so the image always carries
# the model of the code it ships. Rasa's image: Python 3.10 in /opt/venv (on PATH), ENTRYPOINT ["rasa"].

# ---- base: Rasa and our pinned packages ---------------------------------------------------------------------
FROM rasa/rasa:3.6.21 AS base
USER root
WORKDIR /app
ENV PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    TF_CPP_MIN_LOG_LEVEL=3

# Our requirements on top of Rasa's, held to the versions `make setup` installs and `make test` tests.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

# ---- train: the model, from only what training reads (not kept in the final image) ------------------------
# A change to the actions, the help desk, district.yml or knowledge.yml reuses this stage's cache: no retraining.
FROM base AS train
COPY config.yml domain.yml ./
COPY pipeline/ pipeline/
COPY policies/ policies/
COPY data/ data/
RUN rasa train --out /app/models --fixed-model-name parent-portal

# ---- runtime: the project, the model, a user without privileges -------------------------------------------
FROM base AS runtime
# What the servers read at run time: configuration, our packages, the web chat files, the health check.
COPY pyproject.toml domain.yml config.yml endpoints.yml credentials.yml district.yml knowledge.yml ./
COPY actions/ actions/
COPY rasa_sdk_plugins/ rasa_sdk_plugins/
COPY channels/ channels/
COPY helpdesk/ helpdesk/
COPY pipeline/ pipeline/
COPY policies/ policies/
COPY portal/ portal/
COPY webchat/ webchat/
COPY scripts/healthcheck.py scripts/healthcheck.py
# Editable, as `make setup` does: the code finds district.yml, knowledge.yml and webchat/ beside it in /app;
# portal-admin and helpdesk land on PATH.
RUN pip install --no-deps -e .
COPY --from=train /app/models/ /app/models/
# uid 1001 in group 0, as Rasa's image and charts expect; numeric below so Kubernetes can check runAsNonRoot.
# Only var/ (the SQLite fallback when DATABASE_URL is unset) and HOME are writable; the code is not.
RUN useradd --uid 1001 --gid 0 --create-home --home-dir /home/portal --shell /usr/sbin/nologin portal \
 && mkdir -p /app/var \
 && chown 1001:0 /app/var \
 && chmod 0770 /app/var
# endpoints.yml's variables, one machine (as scripts/env-defaults.sh): Rasa refuses to start on an unset one.
# deploy/compose.yml and the Helm values set every one of them.
ENV HOME=/home/portal \
    HEALTHCHECK_TARGET=rasa \
    ACTION_SERVER_URL=http://localhost:5055/webhook \
    ACTION_SERVER_TOKEN="" \
    TRACKER_STORE_URL=sqlite:////app/var/rasa_tracker.db \
    LOCK_STORE_TYPE=in_memory \
    REDIS_HOST=localhost \
    REDIS_PORT=6379 \
    REDIS_PASSWORD="" \
    REDIS_DB=1 \
    LOCK_STORE_KEY_PREFIX=""
USER 1001

EXPOSE 5005 5055 8000
# Rasa by default (HEALTHCHECK_TARGET); compose runs `healthcheck.py actions|helpdesk` for the other two, and
# Kubernetes has HTTP probes of its own (deploy/helm/, deploy/k8s/).
# Loading the model takes about a minute on 2 cores, hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
  CMD ["python", "/app/scripts/healthcheck.py"]

# The channels only: the HTTP API needs --enable-api with a token (deploy/compose.yml shows how).
#   action server:  docker run IMAGE run actions --actions actions --port 5055
#   help desk:      docker run --entrypoint python IMAGE -m helpdesk serve --host 0.0.0.0
#   migrations:     docker run --entrypoint portal-admin IMAGE migrate
CMD ["run", "--port", "5005", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--model", "models"]
