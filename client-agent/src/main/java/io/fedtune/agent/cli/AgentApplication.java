package io.fedtune.agent.cli;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;

/** The Spring Boot side of {@code fedtune-agent run}: configuration binding and logging, no web server. */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableConfigurationProperties(AgentProperties.class)
public class AgentApplication {

    /**
     * Binds {@code fedtune.agent.*} from the usual Spring Boot sources plus {@code args} ({@code --name=value}).
     *
     * @param structuredLogs whether the console gets JSON lines (ECS) instead of text
     */
    public static ConfigurableApplicationContext start(List<String> args, boolean structuredLogs) {
        List<String> all = new ArrayList<>(args);
        if (structuredLogs && all.stream().noneMatch(a -> a.startsWith("--logging.structured.format.console"))) {
            all.add("--logging.structured.format.console=ecs");
        }
        return new SpringApplicationBuilder(AgentApplication.class)
                .web(WebApplicationType.NONE)
                .bannerMode(Banner.Mode.OFF)
                .logStartupInfo(false)
                .registerShutdownHook(false)
                .run(all.toArray(String[]::new));
    }
}
