//! Users (listUsers, getMyUser) and apps (getApp, createApp, updateApp, deleteApp, selectApp), through the real component against the simulated tenant.
