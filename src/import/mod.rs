//! `orchsim import`: a CloudFormation or SAM template turned into scenario text.

pub mod template;
