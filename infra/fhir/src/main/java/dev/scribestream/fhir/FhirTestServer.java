package dev.scribestream.fhir;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import jakarta.persistence.EntityManagerFactory;
import org.apache.commons.dbcp2.BasicDataSource;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

import javax.sql.DataSource;
import java.util.Properties;

/**
 * HAPI FHIR's JPA server (R4) on an in-memory H2 database, for tests and benchmarks only: the same storage,
 * transaction processing, conditional create, referential integrity and $validate as a production HAPI
 * server, wired with the smallest Spring configuration that starts it. Every request body is checked by
 * HAPI's instance validator against the R4 base profiles; errors are rejected with an OperationOutcome.
 *
 * Usage: java -cp 'infra/fhir/lib/*' dev.scribestream.fhir.FhirTestServer [port [--exit-when-ready]]
 *        (port 0 or none = any free port)
 * Prints "FHIR_SERVER_READY http://127.0.0.1:PORT/fhir" on stdout once it serves requests.
 */
@Configuration
// SubscriptionChannelConfig: the in-memory message broker that batch2 jobs (e.g. reindex) run on.
@Import({JpaR4Config.class, HapiJpaConfig.class, JpaBatch2Config.class, Batch2JobsConfig.class, SubscriptionChannelConfig.class,
		ThreadPoolFactoryConfig.class})
public class FhirTestServer {

	@Bean
	public JpaStorageSettings storageSettings() {
		JpaStorageSettings settings = new JpaStorageSettings();
		// Client-assigned ids (PUT Patient/pat-1) so tests can seed the patient, encounter and practitioner
		// that notes refer to; references to anything else are still rejected (referential integrity on).
		settings.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
		settings.setAllowMultipleDelete(true);
		settings.setExpungeEnabled(true);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	public IBinaryStorageSvc binaryStorage() {
		return new MemoryBinaryStorageSvcImpl();
	}

	@Bean
	public DataSource dataSource() {
		BasicDataSource ds = new BasicDataSource();
		ds.setDriver(new org.h2.Driver());
		ds.setUrl("jdbc:h2:mem:scribestream;DB_CLOSE_DELAY=-1");
		ds.setUsername("");
		ds.setPassword("");
		ds.setMaxTotal(10);
		return ds;
	}

	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory, FhirContext fhirContext) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings());
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource());
		Properties props = new Properties();
		props.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		props.put("hibernate.hbm2ddl.auto", "update");
		props.put("hibernate.search.enabled", "false"); // no full-text index: not needed, and slow to start
		emf.setJpaProperties(props);
		return emf;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		JpaTransactionManager tm = new JpaTransactionManager();
		tm.setEntityManagerFactory(entityManagerFactory);
		return tm;
	}

	public static void main(String[] args) {
		try {
			serve(args);
		} catch (Throwable err) {
			// Without this, Spring's non-daemon threads keep a half-started JVM alive and the caller waits.
			err.printStackTrace();
			System.exit(1);
		}
	}

	private static void serve(String[] args) throws Exception {
		int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
		long started = System.nanoTime();
		AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(FhirTestServer.class);

		RestfulServer fhir = new RestfulServer(spring.getBean(FhirContext.class));
		fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
		fhir.registerProviders(spring.getBean(ResourceProviderFactory.class).createProviders());
		fhir.registerProvider(spring.getBean(JpaSystemProvider.class));
		fhir.setPagingProvider(spring.getBean(DatabaseBackedPagingProvider.class));

		RequestValidatingInterceptor validating = new RequestValidatingInterceptor();
		validating.addValidatorModule(spring.getBean(FhirInstanceValidator.class));
		validating.setFailOnSeverity(ResultSeverityEnum.ERROR);
		validating.setAddResponseHeaderOnSeverity(null);
		fhir.registerInterceptor(validating);

		Server jetty = new Server(new java.net.InetSocketAddress("127.0.0.1", port));
		ServletContextHandler context = new ServletContextHandler();
		context.setContextPath("/");
		context.addServlet(new ServletHolder(fhir), "/fhir/*");
		jetty.setHandler(context);
		jetty.setStopAtShutdown(true);
		jetty.start();
		int bound = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
		System.out.printf("FHIR_SERVER_READY http://127.0.0.1:%d/fhir (started in %.1f s)%n",
				bound, (System.nanoTime() - started) / 1e9);
		System.out.flush();
		Runtime.getRuntime().addShutdownHook(new Thread(spring::close));
		if (args.length > 1 && args[1].equals("--exit-when-ready")) {
			// infra/install.sh starts the server once this way to record a class-data-sharing archive
			// (-XX:ArchiveClassesAtExit), which the JVM writes at exit; later starts map it instead of
			// loading and verifying the same ~20k classes again.
			System.exit(0);
		}
	}
}
