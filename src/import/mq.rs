//! `AWS::AmazonMQ::Broker` → `[mq.ID]`: its engine, instance type, deployment mode and
//! storage from the template; its producers, consumers and their service time, which a
//! template cannot know, as placeholders. A broker the scenario's throughput benchmark or
//! price book does not cover (RabbitMQ, small ActiveMQ instances) gets a placeholder
//! throughput, and an instance type without a price in the book a placeholder price of 0,
//! both marked TODO: orchsim asks for these figures rather than guess them. A broker a
//! Lambda event source mapping consumes loses its consumer placeholders when the mappings
//! are applied: Lambda's pollers are its consumers.

use super::intrinsics::{ResolveError, flat_text};
use super::resources::{DURATION_PLACEHOLDER, Element, Importer, Props, Setting};
use super::write::toml_string;

/// The instance types whose hourly price the shipped price book has.
const PRICED: [&str; 3] = ["mq.t2.micro", "mq.m5.large", "mq.m5.xlarge"];
/// The ActiveMQ instance types AWS's throughput benchmark covers.
const BENCHMARKED: [&str; 4] = ["mq.m5.large", "mq.m5.xlarge", "mq.m5.2xlarge", "mq.m5.4xlarge"];

impl Importer<'_, '_> {
    pub(super) fn broker(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        let element = format!("mq.{id}");
        let text = |this: &Self, key: &str| -> Result<Option<(String, String)>, ResolveError> {
            Ok(this.get(props, key)?.map(|(v, origin)| (flat_text(&v), origin)))
        };
        let Some((engine, engine_origin)) = text(self, "EngineType")? else {
            self.model.skipped.push(format!("{id} (AWS::AmazonMQ::Broker): no EngineType, which AWS requires"));
            return Ok(());
        };
        let engine = engine.to_ascii_lowercase();
        let Some((instance, instance_origin)) = text(self, "HostInstanceType")? else {
            self.model.skipped.push(format!("{id} (AWS::AmazonMQ::Broker): no HostInstanceType, which AWS requires"));
            return Ok(());
        };
        let (mode, mode_origin) =
            text(self, "DeploymentMode")?.unwrap_or_else(|| ("SINGLE_INSTANCE".into(), "AWS default".into()));
        let deployment = match mode.as_str() {
            "ACTIVE_STANDBY_MULTI_AZ" => "active_standby",
            "CLUSTER_MULTI_AZ" => "cluster",
            _ => "single_instance",
        };
        let mut s = vec![
            Setting {
                key: "engine".into(),
                value: toml_string(&engine),
                origin: format!("{engine_origin} (EngineType)"),
                todo: false,
            },
            Setting {
                key: "instance_type".into(),
                value: toml_string(&instance),
                origin: format!("{instance_origin} (HostInstanceType)"),
                todo: false,
            },
            Setting {
                key: "deployment".into(),
                value: toml_string(deployment),
                origin: format!("{mode_origin} (DeploymentMode {mode})"),
                todo: false,
            },
        ];
        if let Some((storage, origin)) = text(self, "StorageType")? {
            s.push(Setting {
                key: "storage".into(),
                value: toml_string(&storage.to_ascii_lowercase()),
                origin: format!("{origin} (StorageType)"),
                todo: false,
            });
        }
        let mut todo = |this: &mut Self, key: &str, value: String, why: &str| {
            this.model.placeholders.push(format!("{element}.{key}: {value}; {why}"));
            s.push(Setting { key: key.into(), value, origin: format!("placeholder: {why}"), todo: true });
        };
        todo(self, "producers", "10".into(), "the template cannot know the producer connections");
        todo(
            self,
            "consumers",
            "1".into(),
            "the template cannot know the consumers, and no Lambda function of it consumes the broker",
        );
        todo(
            self,
            "service_time_s",
            DURATION_PLACEHOLDER.into(),
            "the template cannot know a consumer's time per message",
        );
        if !(engine == "activemq" && BENCHMARKED.contains(&instance.as_str())) {
            todo(
                self,
                "capacity_msgs_per_s",
                "1000".into(),
                &format!("AWS publishes no throughput figure for {engine} on {instance}"),
            );
        }
        if !PRICED.contains(&instance.as_str()) {
            todo(
                self,
                "usd_per_instance_hour",
                "0".into(),
                &format!("the price book has no hourly price for {instance}: give yours"),
            );
        }
        self.model.elements.push(Element {
            kind: "mq",
            name: id.into(),
            about: format!("AWS::AmazonMQ::Broker {id}"),
            settings: s,
            notes: Vec::new(),
        });
        Ok(())
    }
}
