# syntax=docker/dockerfile:1
# The client agent, for data owners: trains adapters next to the data (CPU libtorch comes inside the DJL jars).
# Build from the repository root:  docker build -f deploy/docker/agent.Dockerfile -t fedtune/agent .

# --- build -----------------------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jdk-jammy AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -pl client-agent -am package -DskipTests -Dspotless.check.skip=true
RUN java -Djarmode=tools -jar client-agent/target/client-agent-*-exec.jar extract --layers --launcher --destination /layers

# --- run ---------------------------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre-jammy
RUN groupadd --system --gid 10001 fedtune \
    && useradd --system --uid 10001 --gid fedtune --home-dir /var/lib/fedtune-agent --shell /usr/sbin/nologin fedtune \
    && mkdir -p /var/lib/fedtune-agent /data \
    && chown fedtune:fedtune /var/lib/fedtune-agent /data
WORKDIR /app
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
USER 10001:10001
# The agent keeps its credentials, the base model and its checkpoints here; data is mounted read-only at /data.
ENV FEDTUNE_AGENT_HOME=/var/lib/fedtune-agent \
    DJL_OFFLINE=true
# Training wants most of the container's memory for tensors outside the heap: a modest heap share.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50.0", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-Dai.djl.offline=true", "org.springframework.boot.loader.launch.JarLauncher"]
CMD ["--help"]
