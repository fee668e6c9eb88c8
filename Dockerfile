# The playdash-gate image: the GitHub Action's container, and the image other CIs run.

# Build stage: turn the package into a wheel; the build backend stays here.
FROM python:3.13.9-slim-bookworm AS build
WORKDIR /src
COPY requirements-build.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-build.lock
COPY pyproject.toml README.md ./
COPY gate ./gate
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /dist .

FROM python:3.13.9-slim-bookworm
LABEL org.opencontainers.image.title="playdash-gate" \
      org.opencontainers.image.description="A CI quality gate for Playwright runs reported to NeetoPlaydash"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
# Dependencies first, in their own layer from the hashed lock file, so a code change reuses it.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=build /dist /tmp/dist
RUN pip install --no-cache-dir --no-deps /tmp/dist/*.whl && rm -rf /tmp/dist
# Set after the installs, which compile the bytecode that makes every start fast.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# No USER line: GitHub runs Docker actions as root, and another user loses access to the
# workspace and the file-command files. Other CIs can run it as any user (see the README).
ENTRYPOINT ["/usr/local/bin/playdash-gate"]
