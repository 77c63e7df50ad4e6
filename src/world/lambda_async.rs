//! The world's routing of Lambda's asynchronous invocation: events handed to a function's
//! queue by SNS, EventBridge or another function's on-failure destination, their retries,
//! and where a dropped event goes (the on-failure destination gets Lambda's invocation
//! record, the dead-letter queue the event itself, both when both are set), and where a
//! processed one goes (the on-success destination gets its invocation record).

use super::hops::Caller;
use super::{Event, World};
use crate::engine::{Scheduler, SimTime};
use crate::models::Message;
use crate::models::eventbridge;
use crate::models::filter_policy::Json;
use crate::models::lambda::{self, AsyncStep, Condition};
use crate::models::latency::Hop;
use crate::models::sns::PublishOutcome;
use crate::scenario::AsyncDestination;

impl World {
    /// An asynchronous Invoke of `function` (InvocationType Event): Lambda accepts the event
    /// into the function's queue, which is the caller's success.
    pub(super) fn invoke_async(&mut self, now: SimTime, function: u32, message: Message, s: &mut Scheduler<Event>) {
        let caller = Caller::Function(function);
        let queueing = self.hops.draw(Hop::LambdaAsyncQueue, caller) + self.hops.draw(Hop::LambdaInvoke, caller);
        let step = self.lambda.receive_async(now, lambda::FunctionId(function), message, queueing);
        self.after_async_step(now, function, step, s);
    }

    pub(super) fn on_async_event_due(&mut self, now: SimTime, function: u16, event: u32, s: &mut Scheduler<Event>) {
        let step = self.lambda.async_event_due(now, lambda::FunctionId(u32::from(function)), event);
        self.after_async_step(now, u32::from(function), step, s);
    }

    pub(super) fn on_async_invocation_finished(
        &mut self,
        now: SimTime,
        function: u16,
        environment: u32,
        s: &mut Scheduler<Event>,
    ) {
        let id = lambda::FunctionId(u32::from(function));
        let step = self.lambda.finish_async(now, id, lambda::EnvironmentId(environment));
        self.after_async_step(now, u32::from(function), step, s);
    }

    fn after_async_step(&mut self, now: SimTime, function: u32, step: AsyncStep, s: &mut Scheduler<Event>) {
        let function_u16 = u16::try_from(function).expect("fewer than 65,536 functions");
        match step {
            AsyncStep::Started { environment, busy, succeeds } => {
                let then = Event::AsyncInvocationFinished { function: function_u16, environment };
                self.after_handler(now, function, busy, then, None, u32::from(succeeds), s);
            }
            AsyncStep::DueAt { event, at } => s.schedule_at(at, Event::AsyncEventDue { function: function_u16, event }),
            AsyncStep::Succeeded { message, invocations } => {
                if let Some(d) = self.async_routes[function as usize].2 {
                    let record = self.invocation_record(function, "Success", invocations);
                    let is_sent = self.send_to_destination(now, d, message, Some(record), "Success", s);
                    self.lambda.record_success_send(lambda::FunctionId(function), is_sent);
                }
            }
            AsyncStep::Dropped { message, condition, invocations } => {
                self.send_dropped(now, function, message, condition, invocations, s)
            }
        }
    }

    /// A dropped event goes to the function's on-failure destination (as an invocation
    /// record) and its dead-letter queue (as the event), if it has them.
    fn send_dropped(
        &mut self,
        now: SimTime,
        function: u32,
        message: Message,
        condition: Condition,
        invocations: u32,
        s: &mut Scheduler<Event>,
    ) {
        let (on_failure, dead_letter, _) = self.async_routes[function as usize];
        let destination = on_failure.map(|d| {
            let record = self.invocation_record(function, condition.as_str(), invocations);
            self.send_to_destination(now, d, message, Some(record), "Failure", s)
        });
        let dead_letter = dead_letter.map(|d| self.send_to_destination(now, d, message, None, "Failure", s));
        self.lambda.record_dropped_sends(lambda::FunctionId(function), destination, dead_letter);
    }

    /// Lambda's invocation record of an asynchronous invocation that failed (`condition`
    /// `RetriesExhausted` or `EventAgeExceeded`) or succeeded (`Success`): its fields that an
    /// SNS filter policy or an EventBridge pattern can read; payloads are not modelled.
    fn invocation_record(&self, function: u32, condition: &str, invocations: u32) -> Json {
        let name = &self.lambda.config(lambda::FunctionId(function)).name;
        Json::Object(vec![
            ("version".into(), Json::String("1.0".into())),
            (
                "requestContext".into(),
                Json::Object(vec![
                    ("functionArn".into(), Json::String(format!("arn:aws:lambda:::function:{name}:$LATEST"))),
                    ("condition".into(), Json::String(condition.into())),
                    ("approximateInvokeCount".into(), Json::Number(f64::from(invocations))),
                ]),
            ),
        ])
    }

    /// Sends an event (or its record) on; false if the destination refused it. `result`,
    /// `Success` or `Failure`, names an event put on a bus.
    fn send_to_destination(
        &mut self,
        now: SimTime,
        destination: AsyncDestination,
        message: Message,
        record: Option<Json>,
        result: &str,
        s: &mut Scheduler<Event>,
    ) -> bool {
        match destination {
            AsyncDestination::Queue(q) => {
                // Lambda's own send, like SNS's and EventBridge's dead-lettering.
                self.sqs.send_dead_letter(now, q, message);
                self.serve_waiting(now, q, s);
                self.arm(now, q, s);
                true
            }
            AsyncDestination::Topic(topic) => {
                let mut deliveries = std::mem::take(&mut self.deliveries);
                deliveries.clear();
                let outcome = self.sns.publish(now, topic, message, &[], record.as_ref(), &mut deliveries);
                for &d in &deliveries {
                    self.dispatch(now, d, s);
                }
                self.deliveries = deliveries;
                outcome != PublishOutcome::Throttled
            }
            AsyncDestination::Bus(bus) => {
                let event = Json::Object(vec![
                    ("source".into(), Json::String("lambda".into())),
                    ("detail-type".into(), Json::String(format!("Lambda Function Invocation Result - {result}"))),
                    ("detail".into(), record.unwrap_or(Json::Object(Vec::new()))),
                ]);
                let mut deliveries = std::mem::take(&mut self.event_deliveries);
                deliveries.clear();
                let outcome = self.eventbridge.put(now, bus, message, &event, &mut deliveries);
                self.deliver_event(now, &event, &deliveries, s);
                self.event_deliveries = deliveries;
                outcome != eventbridge::PutOutcome::Throttled
            }
            AsyncDestination::Function(f) => {
                self.invoke_async(now, f, message, s);
                true
            }
        }
    }
}
