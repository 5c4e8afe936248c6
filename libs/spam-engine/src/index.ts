export { fitPlatt, fitStack, formatPercent, sigmoid, toPercent } from './calibration';
export { campaignGroups, campaignKeys } from './campaign';
export { SpamEngine, type Reason, type ScoreOptions, type SpamVerdict } from './engine';
export { cleanSubject, DEFAULT_FEATURE_OPTIONS, extractFeatures, FORM_AT, FORM_FEATURE_RE, MAX_FEATURES, type FeatureOptions, type Features } from './features';
export {
  DEFAULT_MODEL_PATH,
  featureValue,
  featureValuePow,
  MIN_NORM,
  FEATURE_VERSION,
  hashFeature,
  loadModel,
  ModelFormatError,
  saveModel,
  SpamModel,
  type Calibration,
  type GramWeights,
  type ModelMeta,
  type SerializedModel,
} from './model';
export { DEFAULT_OVERLAY, mergeDeltas, ModelDelta, type MergeOptions, type OverlayOptions, type SerializedDelta } from './overlay';
export { decodeText, parseMessage, RAW_BODY_BYTES, type HeaderField, type MailAddress, type ParsedMessage, type PartInfo } from './parse';
export { FORGERY_RULE_IDS, RULES, ruleById, type Rule } from './rules';
export { baseDomain, parseUrl, tokenize, type UrlInfo } from './tokenize';
export { DEFAULT_TRAIN_OPTIONS, fitBuckets, gramBuckets, fitLinear, groupedFolds, margin, outOfFoldBucketMargins, outOfFoldMargins, seededRandom, trainModel, type Bucketed, type Example, type TrainOptions, type TrainResult } from './train';
export type { AuthenticationResults, AuthResultValue, ClientInfo, Envelope, Label, MessageInput } from './types';
export { DEFAULT_GRAM_OPTIONS, gramHash, gramHashes, gramHashesAt, gramText, messageGrams, type GramOptions } from './grams';
