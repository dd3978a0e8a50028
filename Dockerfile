# PsBackup in a container, for scheduled backups (Kubernetes CronJobs: docs/recipes/kubernetes-cronjob.md):
# pwsh 7.6, the PsBackup module installed from its own gallery package (Install-PSResource, as a
# user would), and the client programs it runs: pg_basebackup/pg_dump/psql (PostgreSQL 15 by
# default: use the major version of the servers you back up, or newer) and redis-cli.
#
#   docker build -t psbackup:0.1.0 .                    (--build-arg PG_MAJOR=16 for other servers)
#   docker run --rm -e PGPASSWORD -v /backup:/backup psbackup:0.1.0 \
#       pwsh -c 'Invoke-Backup -Name orders-pitr -Repository /backup/repo'
#
# .ci/run builds this file only where a container builder runs (docker engine, podman, buildah);
# the machines this project is developed and tested on have none, so it has not been built there.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY . .
RUN dotnet tool restore \
 && dotnet build src/PsBackup/PsBackup.csproj -c Release --nologo \
 && dotnet pwsh -NoProfile -NonInteractive -File build.ps1 -Task Package -Configuration Release \
 && dotnet tool install PowerShell --version 7.6.10 --tool-path /opt/pwsh

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble
ARG PG_MAJOR=15
# PostgreSQL's own apt repository carries every supported client major for this Ubuntu release.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg redis-tools \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt noble-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-${PG_MAJOR} \
 && apt-get purge -y curl gnupg && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV PSBACKUP_PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin \
    PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:/opt/pwsh:$PATH \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /opt/pwsh /opt/pwsh
COPY --from=build /src/out/packages /tmp/feed
# Installed by name from the package, for all users (/usr/local/share/powershell/Modules).
RUN pwsh -NoProfile -NonInteractive -Command '$ErrorActionPreference = "Stop"; \
      Register-PSResourceRepository -Name feed -Uri /tmp/feed -Trusted; \
      Install-PSResource -Name PsBackup -Repository feed -Scope AllUsers -TrustRepository -Quiet; \
      Unregister-PSResourceRepository -Name feed; \
      Import-Module PsBackup; Get-Module PsBackup | Format-Table Name, Version, ModuleBase' \
 && rm -rf /tmp/feed
# Not root: backups need no privilege beyond the repository and the database roles.
RUN useradd --create-home --uid 10001 psbackup
USER psbackup
WORKDIR /home/psbackup
CMD ["pwsh", "-NoProfile"]
