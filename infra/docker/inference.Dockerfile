# syntax=docker/dockerfile:1
# inference: build with the .NET 10 SDK, run on the ASP.NET Core 10 runtime. Build context: the repository root
# (docker compose does this; by hand: docker build -f infra/docker/inference.Dockerfile .).
# CUDA image: --build-arg TORCH_BACKEND=cuda (TorchSharp-cuda-linux, which bundles the CUDA runtime libraries; the host
# needs the NVIDIA driver and container toolkit, and a registry that serves the package — docs/deploy.md).
ARG TORCH_BACKEND=cpu
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
# global.json pins the SDK of the dev machines; the image brings its own 10.0 SDK, so it is left out on purpose.
COPY Directory.Build.props Directory.Packages.props ./
COPY build/ build/
COPY contracts/ contracts/
COPY migrations/ migrations/
COPY orchestrator/ orchestrator/
COPY gpu-agent/ gpu-agent/
COPY web/ web/
COPY inference/ inference/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish inference/AdapterLab.Inference/AdapterLab.Inference.csproj -c Release -o /app --nologo -p:TorchBackend=${TORCH_BACKEND}
# CPU build (TorchSharp-cpu) by default. The SDK and runtime images (Ubuntu 24.04) ship a libstdc++ with GLIBCXX_3.4.32, so the
# build-time ELF fix in build/TorchSharpLoadFix.targets sees that and leaves libLibTorchSharp.so alone.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The NVIDIA container runtime reads these (ignored without a GPU).
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_ENVIRONMENT=Production \
    ASPNETCORE_URLS=http://+:8080
RUN mkdir -p /data /inference-work && chown "$APP_UID" /data /inference-work
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "AdapterLab.Inference.dll"]
