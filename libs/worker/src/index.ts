export { PollLoop, type PollLoopOptions } from './poll-loop';
