# syntax=docker/dockerfile:1
# migrator: build with the .NET 10 SDK, run on the ASP.NET Core 10 runtime. Build context: the repository root
# (docker compose does this; by hand: docker build -f infra/docker/migrator.Dockerfile .).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# global.json pins the SDK of the dev machines; the image brings its own 10.0 SDK, so it is left out on purpose.
COPY Directory.Build.props Directory.Packages.props ./
COPY build/ build/
COPY contracts/ contracts/
COPY migrations/ migrations/
COPY orchestrator/ orchestrator/
COPY gpu-agent/ gpu-agent/
COPY web/ web/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish migrations/AdapterLab.Migrator/AdapterLab.Migrator.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_ENVIRONMENT=Production \
    ASPNETCORE_URLS=http://+:8080
RUN mkdir -p /data /agent-work && chown "$APP_UID" /data /agent-work
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "AdapterLab.Migrator.dll"]
