//! A function's `CapacityProviderConfig` → `[lambda.ID.managed_instances]` (Lambda Managed
//! Instances), with the scaling of the capacity provider it names when that is a resource of
//! the template: `AWS::Lambda::CapacityProvider` (`CapacityProviderScalingConfig`:
//! `MaxVCpuCount`, a target-tracking policy's `TargetValue`) or SAM's
//! `AWS::Serverless::CapacityProvider` (`ScalingConfig`: `MaxVCpuCount`,
//! `AverageCPUUtilization`, also from `Globals.CapacityProvider`).
//!
//! CloudFormation nests the function's settings in
//! `LambdaManagedInstancesCapacityProviderConfig` (`CapacityProviderArn`,
//! `PerExecutionEnvironmentMaxConcurrency`, `ExecutionEnvironmentMemoryGiBPerVCpu`); SAM
//! writes them flat, the capacity provider as `Arn`. A template cannot say what instance
//! type Lambda picks: the model's default instance (m7g.large, 2 vCPUs, its on-demand price)
//! is used, and `MaxVCpuCount` becomes `instances_max` over its vCPUs; both are placeholders
//! when the function's environments need a larger instance.

use super::intrinsics::{ResolveError, Val, as_number, flat_text};
use super::resources::{Importer, Props, Setting, whole_text};
use crate::models::lambda::managed_instances::{MEMORY_MB_MIN, VCPUS_PER_INSTANCE_DEFAULT};

/// The capacity provider resource types.
pub(super) const CAPACITY_PROVIDERS: [&str; 2] = ["AWS::Lambda::CapacityProvider", "AWS::Serverless::CapacityProvider"];

/// The entry `key` of a map value.
fn field<'v>(entries: &'v [(String, Val)], key: &str) -> Option<&'v Val> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Importer<'_, '_> {
    /// The function's Managed Instances settings, when it has a `CapacityProviderConfig`:
    /// pushed onto `s` as `managed_instances.KEY`, with `memory_mb` raised to AWS's minimum
    /// for Managed Instances (2,048 MB) and `snap_start` left out when they do not fit.
    pub(super) fn capacity_provider_config(
        &mut self,
        s: &mut Vec<Setting>,
        props: &Props,
        element: &str,
    ) -> Result<(), ResolveError> {
        let Some((Val::Map(config), origin)) = self.get(props, "CapacityProviderConfig")? else { return Ok(()) };
        // CloudFormation nests the settings; SAM writes them flat.
        let (config, prefix, arn_key) = match field(&config, "LambdaManagedInstancesCapacityProviderConfig") {
            Some(Val::Map(inner)) => (
                inner.clone(),
                "CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig",
                "CapacityProviderArn",
            ),
            _ => (config, "CapacityProviderConfig", "Arn"),
        };
        let at = |property: &str| format!("{origin} ({prefix}.{property})");
        let push = |s: &mut Vec<Setting>, key: &str, value: String, origin: String, todo: bool| {
            s.push(Setting { key: format!("managed_instances.{key}"), value, origin, todo });
        };
        let memory_mb = self.raise_memory(s, element);
        let mut ratio = 2.0;
        if let Some(x) = field(&config, "ExecutionEnvironmentMemoryGiBPerVCpu").and_then(as_number) {
            ratio = x;
            push(s, "memory_gib_per_vcpu", whole_text(x), at("ExecutionEnvironmentMemoryGiBPerVCpu"), false);
        }
        if let Some(x) = field(&config, "PerExecutionEnvironmentMaxConcurrency").and_then(as_number) {
            push(
                s,
                "per_environment_max_concurrency",
                whole_text(x),
                at("PerExecutionEnvironmentMaxConcurrency"),
                false,
            );
        }
        let environment_vcpus = (memory_mb / (1_024.0 * ratio)).floor().max(1.0) as u32;
        let vcpus = environment_vcpus.max(VCPUS_PER_INSTANCE_DEFAULT);
        if vcpus > VCPUS_PER_INSTANCE_DEFAULT {
            push(
                s,
                "vcpus_per_instance",
                vcpus.to_string(),
                "placeholder: an instance that holds one execution environment of the function".into(),
                true,
            );
            push(
                s,
                "instance_usd_per_hour",
                "0.0816".into(),
                "placeholder: the default instance's price; give the on-demand price of the instance type".into(),
                true,
            );
            self.model.placeholders.push(format!(
                "{element}.managed_instances: an environment of {environment_vcpus} vCPUs needs an instance larger than the default m7g.large; the template does not say which instance type Lambda picks: set vcpus_per_instance and instance_usd_per_hour"
            ));
        }
        if let Some(snap) = s.iter().position(|x| x.key == "snap_start") {
            s.remove(snap);
            self.model.warnings.push(format!(
                "{element}: SnapStart on a function on Managed Instances, which start no execution environment on the request path: snap_start left out"
            ));
        }
        let arn = field(&config, arn_key).cloned();
        match arn.as_ref().and_then(|a| self.find(a, &CAPACITY_PROVIDERS)) {
            Some(provider) => self.provider_scaling(s, &provider, vcpus)?,
            None => self.model.warnings.push(format!(
                "{element}: the capacity provider {} is not a resource of this template: its scaling is the model's defaults",
                arn.as_ref().map(flat_text).unwrap_or_default()
            )),
        }
        Ok(())
    }

    /// `memory_mb` of at least 2,048 MB, AWS's smallest function on Managed Instances;
    /// returns it.
    fn raise_memory(&mut self, s: &mut [Setting], element: &str) -> f64 {
        let minimum = f64::from(MEMORY_MB_MIN);
        let Some(m) = s.iter_mut().find(|x| x.key == "memory_mb") else { return minimum };
        let mb = m.value.parse::<f64>().unwrap_or(minimum);
        if mb >= minimum {
            return mb;
        }
        if m.origin == "AWS default" {
            // 128 MB is the default of functions on demand; none smaller than 2 GB runs here.
            m.value = MEMORY_MB_MIN.to_string();
            m.origin = "the smallest function on Managed Instances (the template gives no MemorySize)".into();
            return minimum;
        }
        self.model.warnings.push(format!(
            "{element}: MemorySize {} MB is below the 2,048 MB of the smallest function on Managed Instances: 2048 written",
            m.value
        ));
        m.value = MEMORY_MB_MIN.to_string();
        m.origin = format!("AWS minimum on Managed Instances (the template: {})", m.origin);
        minimum
    }

    /// The capacity provider's maximum vCPUs (as instances of `vcpus` each) and target CPU
    /// utilization.
    fn provider_scaling(&mut self, s: &mut Vec<Setting>, provider: &str, vcpus: u32) -> Result<(), ResolveError> {
        let Some(resource) = self.resources.iter().find(|r| r.id == provider) else { return Ok(()) };
        let is_sam = resource.kind == "AWS::Serverless::CapacityProvider";
        let path = format!("Resources.{provider}.Properties");
        let globals = if is_sam { self.capacity_provider_globals } else { None };
        let props = Props { node: resource.node.get("Properties"), globals, path };
        let property = if is_sam { "ScalingConfig" } else { "CapacityProviderScalingConfig" };
        let Some((Val::Map(scaling), origin)) = self.get(&props, property)? else { return Ok(()) };
        if let Some(max) = field(&scaling, "MaxVCpuCount").and_then(as_number) {
            let instances = ((max / f64::from(vcpus)).floor() as u32).max(1);
            s.push(Setting {
                key: "managed_instances.instances_max".into(),
                value: instances.to_string(),
                origin: format!(
                    "{origin} ({provider} {property}.MaxVCpuCount {} over {vcpus} vCPUs per instance)",
                    whole_text(max)
                ),
                todo: false,
            });
        }
        let target = if is_sam {
            field(&scaling, "AverageCPUUtilization")
                .and_then(as_number)
                .map(|t| (t, "AverageCPUUtilization".to_string()))
        } else {
            match field(&scaling, "ScalingPolicies") {
                Some(Val::List(policies)) => policies.iter().find_map(|p| match p {
                    Val::Map(p) => field(p, "TargetValue")
                        .and_then(as_number)
                        .map(|t| (t, "ScalingPolicies[].TargetValue".to_string())),
                    _ => None,
                }),
                _ => None,
            }
        };
        if let Some((percent, name)) = target {
            s.push(Setting {
                key: "managed_instances.target_utilization".into(),
                value: whole_text(percent / 100.0),
                origin: format!("{origin} ({provider} {property}.{name} {} %)", whole_text(percent)),
                todo: false,
            });
        }
        Ok(())
    }
}
