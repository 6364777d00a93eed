# syntax=docker/dockerfile:1
# The model registry: base models, adapter versions and lineage, blobs, PEFT export.
# Build from the repository root:  docker build -f deploy/docker/registry.Dockerfile -t fedtune/registry .

# --- build: the module and what it needs, with the project's own Maven wrapper -------------------------------------
FROM eclipse-temurin:17-jdk-jammy AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -pl model-registry -am package -DskipTests -Dspotless.check.skip=true
# Spring Boot's layers (dependencies change rarely, the application often): smaller pulls after a code change.
RUN java -Djarmode=tools -jar model-registry/target/model-registry-*-exec.jar extract --layers --launcher --destination /layers

# --- run: a JRE, a user without privileges, nothing else ----------------------------------------------------------
FROM eclipse-temurin:17-jre-jammy
RUN groupadd --system --gid 10001 fedtune \
    && useradd --system --uid 10001 --gid fedtune --home-dir /var/lib/fedtune --shell /usr/sbin/nologin fedtune \
    && mkdir -p /var/lib/fedtune \
    && chown fedtune:fedtune /var/lib/fedtune
WORKDIR /app
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
USER 10001:10001
ENV FEDTUNE_HOME=/var/lib/fedtune
EXPOSE 8082
# Container-aware heap: three quarters of the container's memory limit; exit (and be restarted) on the first OOM.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75.0", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "org.springframework.boot.loader.launch.JarLauncher"]
